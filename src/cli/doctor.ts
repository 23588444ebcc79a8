import { defineCommand } from "./command.ts";
import type { Check } from "./doctor-checks.ts";

const MARKS: Record<Check["status"], string> = { ok: "ok  ", warn: "warn", fail: "FAIL", skip: "skip" };

export const doctorCommand = defineCommand({
  name: "doctor",
  usage: `
Usage: loopwright doctor

Checks what Loopwright needs, one line each with what to fix: Node, git, bubblewrap and whether
its user namespaces work here, the database, the model endpoint (one cheap call; skipped without
OPENAI_API_KEY or OPENAI_BASE_URL), the GitHub App's credentials, whether GitHub's webhooks can
reach this server (the App's webhook URL against WEBHOOK_PROXY_URL / PUBLIC_URL) and the
dashboard's sign-in.
Exits 1 when a check failed.`,
  options: {},
  async run() {
    // Loaded when the command runs: `doctor --help` answers without the clients it checks with.
    const [{ loadSettings }, { diagnose }] = await Promise.all([
      import("../config/settings.ts"),
      import("./doctor-checks.ts"),
    ]);
    const checks = await diagnose(loadSettings());
    const width = Math.max(...checks.map((check) => check.name.length));
    for (const check of checks) {
      console.log(`${MARKS[check.status]}  ${check.name.padEnd(width)}  ${check.detail}`);
      if (check.fix && check.status !== "ok") console.log(`      ${" ".repeat(width)}  fix: ${check.fix}`);
    }
    return checks.some((check) => check.status === "fail") ? 1 : 0;
  },
});
