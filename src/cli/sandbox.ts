import path from "node:path";
import { defineCommand, integerOption, UsageError } from "./command.ts";

const DEFAULT_TIMEOUT_MS = 120_000;

export const sandboxCommand = defineCommand({
  name: "sandbox",
  usage: `
Usage: loopwright sandbox [--network] [--allow-host HOST]… [--cwd DIR] [--timeout-ms N] -- CMD [ARGS…]

Runs CMD with DIR (default: the current directory) as the workspace — the only writable place
besides a private /tmp — with a minimal environment, no network unless --network (then only the
hosts given with --allow-host, default the package registries of the ecosystems found in DIR,
through Loopwright's network gate; never this machine or its network), and the sandbox's CPU,
memory, process, file-size and output limits. Run as root, the command runs as a fresh
unprivileged uid that is lent DIR until it ends. Prints the captured output and exits with
the command's exit code (124 on timeout, default ${DEFAULT_TIMEOUT_MS} ms).
The sandbox mode comes from LOOPWRIGHT_SANDBOX (auto | bwrap | none).
Put -- before the command so its own options are not read as loopwright's.`,
  options: {
    network: { type: "boolean" },
    "allow-host": { type: "string", multiple: true },
    cwd: { type: "string" },
    "timeout-ms": { type: "string" },
  },
  positionals: { min: 1, max: Number.POSITIVE_INFINITY },
  async run({ values, positionals }) {
    // Loaded when the command runs: its --help and argument errors answer without them.
    const [{ loadSettings }, { createLogger }, { createSandbox }] = await Promise.all([
      import("../config/settings.ts"),
      import("../logger.ts"),
      import("../workspace/sandbox.ts"),
    ]);
    const timeoutMs = integerOption("timeout-ms", values["timeout-ms"], 1) ?? DEFAULT_TIMEOUT_MS;
    if (positionals[0] === "") throw new UsageError("the command is empty");
    const settings = loadSettings();
    const log = createLogger(settings);
    const workspace = path.resolve(values.cwd ?? ".");
    await using sandbox = await createSandbox({
      mode: settings.sandbox,
      workspace,
      network: values.network ?? false,
      allowedHosts: values["allow-host"],
      log,
    });
    const result = await sandbox.run({ argv: positionals, cwd: workspace, timeoutMs });
    process.stdout.write(result.output);
    if (result.timedOut) console.error(`loopwright sandbox: timed out after ${timeoutMs} ms`);
    if (result.truncated) {
      console.error(`loopwright sandbox: output truncated (${result.outputBytes} bytes printed in all)`);
    }
    return result.exitCode;
  },
});
