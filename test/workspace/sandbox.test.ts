import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:net";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, detectSandboxMode, type Sandbox, SandboxError } from "../../src/workspace/sandbox.ts";

const bwrapWorks = await detectSandboxMode("bwrap").then(
  () => true,
  (error: Error) => {
    console.warn(`skipping the bubblewrap sandbox tests: ${error.message}`);
    return false;
  },
);

const scratch = mkdtempSync(path.join(os.tmpdir(), "loopwright-sandbox-test-"));
const workspace = path.join(scratch, "workspace");
const otherWorkspace = path.join(scratch, "other-workspace");
const dataDir = path.join(scratch, "data");
const homeSecret = path.join(os.homedir(), `.loopwright-test-secret-${randomBytes(4).toString("hex")}`);
const SECRET = `s3cr3t-${randomBytes(8).toString("hex")}`;
let server: Server;
let port = 0;

beforeAll(async () => {
  for (const dir of [workspace, otherWorkspace, dataDir]) mkdirSync(dir);
  writeFileSync(path.join(workspace, "README.md"), "hello\n");
  writeFileSync(path.join(otherWorkspace, "token.txt"), SECRET);
  writeFileSync(path.join(dataDir, "private-key.pem"), SECRET);
  writeFileSync(homeSecret, SECRET);
  server = createServer((socket) => socket.end("pong\n"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(homeSecret, { force: true });
  rmSync(scratch, { recursive: true, force: true });
});

/**
 * Commands whose command line contains `marker` that still run on the host, once the kernel has
 * finished tearing the command's namespace down (a SIGKILL is delivered at once, but a process
 * leaves /proc a moment later): polled for up to 5 s, so a process that really survives still fails.
 */
async function survivors(marker: string): Promise<number> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const count = countProcesses(marker);
    if (count === 0 || Date.now() > deadline) return count;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function countProcesses(marker: string): number {
  let count = 0;
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(marker)) count++;
    } catch {
      // exited meanwhile
    }
  }
  return count;
}

/** Starts 100 sleeping children without retrying (bash retries a failed fork for seconds); prints "started failed". */
const SPAWN_MANY = `
const { spawn } = require("node:child_process");
let started = 0, failed = 0;
for (let i = 0; i < 100; i++) {
  const child = spawn("sleep", ["30"], { stdio: "ignore" });
  child.on("spawn", () => started++);
  child.on("error", () => failed++);
}
setTimeout(() => { console.log(started + " " + failed); process.exit(0); }, 1000);
`;

const sh = (line: string) => ["bash", "-c", line];
const connect = () => sh(`exec 3<>/dev/tcp/127.0.0.1/${port} && head -n1 <&3`);

describe.skipIf(!bwrapWorks)("bwrap sandbox", () => {
  let sandbox: Sandbox;
  const run = (argv: string[], timeoutMs = 10_000) => sandbox.run({ argv, cwd: workspace, timeoutMs });

  beforeAll(async () => {
    sandbox = await createSandbox({ mode: "bwrap", workspace, env: { NODE_ENV: "test" } });
  });

  it("runs commands in the workspace and reports the policy", async () => {
    expect(sandbox.policy).toMatchObject({ mode: "bwrap", network: false });
    expect(await run(["cat", "README.md"])).toMatchObject({
      exitCode: 0,
      output: "hello\n",
      timedOut: false,
    });
    expect((await run(sh("exit 7"))).exitCode).toBe(7);
    expect((await run(["no-such-program"])).exitCode).toBe(127);
  });

  it("cannot read secrets outside the workspace", async () => {
    for (const file of [
      homeSecret,
      path.join(dataDir, "private-key.pem"),
      path.join(otherWorkspace, "token.txt"),
    ]) {
      const result = await run(["cat", file]);
      expect(result.exitCode, file).not.toBe(0);
      expect(result.output).not.toContain(SECRET);
    }
    const link = await run(
      sh(`ln -s ${homeSecret} link-to-secret && cat link-to-secret; cat /proc/1/environ`),
    );
    expect(link.output).not.toContain(SECRET);
    rmSync(path.join(workspace, "link-to-secret"));
    const shadow = await run(["cat", "/etc/shadow"]);
    expect(shadow.output).not.toContain("root:");
    const listing = await run(sh(`ls -a ${os.homedir()} /home; ls /proc | grep -c '^[0-9]'`));
    expect(listing.output).not.toContain(path.basename(homeSecret));
    expect(Number(listing.output.trim().split("\n").at(-1))).toBeLessThan(10);
  });

  it("cannot write outside the workspace and its private /tmp", async () => {
    const marker = `escape-${randomBytes(4).toString("hex")}`;
    for (const target of ["/etc", "/usr", "/", os.homedir(), dataDir, otherWorkspace, "/var/tmp/.."]) {
      const result = await run(["touch", path.join(target, marker)]);
      expect(result.exitCode, target).not.toBe(0);
      expect(existsSync(path.join(target, marker)), target).toBe(false);
    }
    const ok = await run(sh(`touch ${marker} /tmp/${marker} ~/${marker} && echo written`));
    expect(ok.output).toBe("written\n");
    expect(existsSync(path.join(workspace, marker))).toBe(true);
    expect(existsSync(path.join("/tmp", marker))).toBe(false);
  });

  it("never reaches this machine or its network; with network on, only allowed hosts through the gate", async () => {
    const blocked = await run(connect());
    expect(blocked.exitCode).not.toBe(0);
    expect(blocked.output).not.toContain("pong");
    // The setup command has the gated network: its own namespace, so this host's loopback is not there.
    const setup = await sandbox.setup(`exec 3<>/dev/tcp/127.0.0.1/${port} && head -n1 <&3`);
    expect(setup.exitCode).not.toBe(0);
    expect(setup.output).not.toContain("pong");
    const online = await createSandbox({
      mode: "bwrap",
      workspace,
      network: true,
      allowedHosts: ["registry.npmjs.org"],
    });
    try {
      expect(online.policy.network).toBe(true);
      const local = await online.run({ argv: connect(), cwd: workspace, timeoutMs: 10_000 });
      expect(local.output).not.toContain("pong");
      const proxied = await online.run({
        argv: sh(
          `curl -sS -o /dev/null -w '%{http_code}' --noproxy '' --proxy "$HTTP_PROXY" http://127.0.0.1:${port}/`,
        ),
        cwd: workspace,
        timeoutMs: 20_000,
      });
      expect(proxied.output).toContain("403");
      const registry = await online.run({
        argv: sh("curl -sS -o /dev/null -w '%{http_code}' https://registry.npmjs.org/is-number"),
        cwd: workspace,
        timeoutMs: 60_000,
      });
      expect(registry.output).toBe("200");
      expect(online.networkDecisions()).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ host: "registry.npmjs.org", allowed: true }),
          expect.objectContaining({ host: "127.0.0.1", allowed: false }),
        ]),
      );
    } finally {
      await online.close();
    }
  });

  it("passes no secret from this process's environment", async () => {
    const secrets = {
      GITHUB_TOKEN: `ghs_${SECRET}`,
      OPENAI_API_KEY: `sk-${SECRET}`,
      DATABASE_URL: `postgres://u:${SECRET}@db/x`,
      PRIVATE_KEY: SECRET,
      WEBHOOK_SECRET: SECRET,
    };
    Object.assign(process.env, secrets);
    try {
      const result = await run(["env"]);
      expect(result.output).not.toContain(SECRET);
      expect(result.output).toContain("NODE_ENV=test");
      expect(result.output).toContain("TERM=dumb");
    } finally {
      for (const name of Object.keys(secrets)) delete process.env[name];
    }
  });

  it("keeps the runtime on PATH in login shells and lets git accept the workspace", async () => {
    const result = await run([
      "bash",
      "-lc",
      "node -e 'console.log(40 + 2)' && git init -q . && git status --short",
    ]);
    expect(result.output).toContain("42\n");
    expect(result.exitCode).toBe(0);
    rmSync(path.join(workspace, ".git"), { recursive: true, force: true });
  });

  it("ends `sleep 1000` at the timeout with 124", async () => {
    const result = await run(["sleep", "1000"], 500);
    expect(result).toMatchObject({ exitCode: 124, timedOut: true });
    expect(result.durationMs).toBeLessThan(20_000);
  });

  it("kills the tree when aborted", async () => {
    const marker = `${Math.floor(Math.random() * 1e6) + 1}.17`;
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("task cancelled")), 300);
    const started = Date.now();
    await expect(
      sandbox.run({
        argv: sh(`sleep ${marker} & sleep ${marker}`),
        cwd: workspace,
        timeoutMs: 60_000,
        signal: controller.signal,
      }),
    ).rejects.toThrow("task cancelled");
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await survivors(`sleep\0${marker}`)).toBe(0);
  });

  it("leaves no background process behind, however it detached", async () => {
    const marker = `${Math.floor(Math.random() * 1e6) + 1}.23`;
    const result = await run(
      sh(
        `sleep ${marker} & nohup sleep ${marker} >/dev/null 2>&1 & setsid sleep ${marker} & (sleep ${marker} &) ; echo started`,
      ),
    );
    expect(result).toMatchObject({ exitCode: 0, output: "started\n" });
    expect(await survivors(`sleep\0${marker}`)).toBe(0);
  });

  it("caps a flood of output while memory stays bounded", async () => {
    const flood = await createSandbox({ mode: "bwrap", workspace, limits: { maxOutputBytes: 64 * 1024 } });
    const before = process.memoryUsage().rss;
    const result = await flood.run({ argv: ["yes", "loopwright"], cwd: workspace, timeoutMs: 1500 });
    const grown = process.memoryUsage().rss - before;
    expect(result).toMatchObject({ exitCode: 124, timedOut: true, truncated: true });
    expect(result.outputBytes).toBeGreaterThan(4 * 1024 * 1024);
    expect(result.output.length).toBeLessThan(64 * 1024 + 200);
    expect(result.output).toMatch(/\d+ bytes of output omitted/);
    expect(grown).toBeLessThan(100 * 1024 * 1024);
  });

  it("limits the number of processes, even when running as root", async () => {
    const small = await createSandbox({ mode: "bwrap", workspace, limits: { maxProcesses: 32 } });
    const result = await small.run({ argv: ["node", "-e", SPAWN_MANY], cwd: workspace, timeoutMs: 20_000 });
    const [started, failed] = result.output.trim().split(" ").map(Number);
    expect(started).toBeLessThan(32);
    expect(failed).toBeGreaterThan(0);
  });

  it("contains a fork bomb", async () => {
    const small = await createSandbox({ mode: "bwrap", workspace, limits: { maxProcesses: 64 } });
    const marker = `forkbomb-${randomBytes(4).toString("hex")}`;
    const started = Date.now();
    const result = await small.run({
      argv: ["bash", "-c", ":(){ :|:& };:; sleep 10", marker],
      cwd: workspace,
      timeoutMs: 2000,
    });
    expect(result).toMatchObject({ exitCode: 124, timedOut: true });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await survivors(marker)).toBe(0);
    expect((await run(["echo", "still fine"])).output).toBe("still fine\n");
  });

  it("kills a process that uses more CPU time than allowed", async () => {
    const small = await createSandbox({ mode: "bwrap", workspace, limits: { cpuSeconds: 1 } });
    const result = await small.run({ argv: sh("while :; do :; done"), cwd: workspace, timeoutMs: 15_000 });
    expect(result.timedOut).toBe(false);
    expect(result.exitCode).toBeGreaterThan(128);
  });

  it("refuses memory beyond the limit", async () => {
    const small = await createSandbox({ mode: "bwrap", workspace, limits: { memoryBytes: 512 * 1024 ** 2 } });
    const result = await small.run({
      argv: ["node", "-e", "Buffer.alloc(1024 ** 3, 1); console.log('allocated')"],
      cwd: workspace,
      timeoutMs: 15_000,
    });
    expect(result.exitCode).not.toBe(0);
    expect(result.output).not.toContain("allocated");
  });
});

describe("mode none", () => {
  it("warns at creation, runs with the same environment and limits, and kills its process group", async () => {
    const lines: string[] = [];
    const log = pino(
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const sandbox = await createSandbox({ mode: "none", workspace, log });
    expect(lines.join("")).toMatch(/"level":40.*mode none/);
    expect(sandbox.policy.mode).toBe("none");
    process.env.GITHUB_TOKEN = SECRET;
    try {
      const env = await sandbox.run({ argv: ["env"], cwd: workspace, timeoutMs: 5000 });
      expect(env.output).not.toContain(SECRET);
      expect(env.output).toContain("CI=true");
    } finally {
      delete process.env.GITHUB_TOKEN;
    }
    const timeout = await sandbox.run({ argv: ["sleep", "1000"], cwd: workspace, timeoutMs: 300 });
    expect(timeout).toMatchObject({ exitCode: 124, timedOut: true });
    const marker = `${Math.floor(Math.random() * 1e6) + 1}.31`;
    const background = await sandbox.run({
      argv: sh(`sleep ${marker} & echo ok`),
      cwd: workspace,
      timeoutMs: 5000,
    });
    expect(background.output).toBe("ok\n");
    expect(await survivors(`sleep\0${marker}`)).toBe(0);
    const small = await createSandbox({ mode: "none", workspace, limits: { maxProcesses: 32 } });
    const bounded = await small.run({ argv: ["node", "-e", SPAWN_MANY], cwd: workspace, timeoutMs: 20_000 });
    const [started, failed] = bounded.output.trim().split(" ").map(Number);
    expect(started).toBeLessThan(32);
    expect(failed).toBeGreaterThan(0);
  });
});

describe("bad input", () => {
  it("names what is wrong", async () => {
    await expect(createSandbox({ mode: "none", workspace: path.join(scratch, "missing") })).rejects.toThrow(
      /does not exist/,
    );
    await expect(createSandbox({ mode: "none", workspace: "relative/dir" })).rejects.toThrow(/absolute path/);
    await expect(createSandbox({ mode: "none", workspace, env: { GITHUB_TOKEN: "x" } })).rejects.toThrow(
      /looks like a credential/,
    );
    await expect(createSandbox({ mode: "none", workspace, limits: { maxProcesses: 1 } })).rejects.toThrow(
      SandboxError,
    );
    const sandbox = await createSandbox({ mode: "none", workspace });
    await expect(sandbox.run({ argv: ["ls"], cwd: "/etc", timeoutMs: 1000 })).rejects.toThrow(
      /outside the workspace/,
    );
    await expect(
      sandbox.run({ argv: ["ls"], cwd: path.join(workspace, "nope"), timeoutMs: 1000 }),
    ).rejects.toThrow(/does not exist/);
    await expect(sandbox.run({ argv: [], cwd: workspace, timeoutMs: 1000 })).rejects.toThrow(/empty/);
    await expect(sandbox.run({ argv: ["ls"], cwd: workspace, timeoutMs: -1 })).rejects.toThrow(/timeout/);
    await expect(sandbox.setup("  ")).rejects.toThrow(/setup command is empty/);
  });
});
