import { describe, expect, it } from "vitest";
import { SandboxEnvironmentError, sandboxEnvironment } from "../../src/workspace/sandbox-environment.ts";
import { DEFAULT_LIMITS, limitArguments, resolveLimits } from "../../src/workspace/sandbox-limits.ts";
import { OutputCapture } from "../../src/workspace/sandbox-output.ts";

describe("OutputCapture", () => {
  it("keeps everything under the cap", () => {
    const capture = new OutputCapture(100);
    capture.push(Buffer.from("hello "));
    capture.push(Buffer.from("world\n"));
    expect(capture.result()).toEqual({ output: "hello world\n", outputBytes: 12, truncated: false });
  });

  it("keeps head and tail of a flood and says how much was cut", () => {
    const capture = new OutputCapture(20);
    capture.push(Buffer.from("0123456789abcdef"));
    for (let i = 0; i < 1000; i++) capture.push(Buffer.from("x".repeat(1000)));
    capture.push(Buffer.from("THE-END"));
    const result = capture.result();
    expect(result.truncated).toBe(true);
    expect(result.outputBytes).toBe(16 + 1_000_000 + 7);
    expect(result.output.startsWith("0123456789")).toBe(true);
    expect(result.output.endsWith("xxxTHE-END")).toBe(true);
    expect(result.output).toContain(`${16 + 1_000_000 + 7 - 20} bytes of output omitted`);
  });

  it("keeps an exact tail when one chunk is larger than the cap", () => {
    const capture = new OutputCapture(10);
    capture.push(Buffer.from("abcdefghijklmnopqrstuvwxyz"));
    const { output } = capture.result();
    expect(output.startsWith("abcde")).toBe(true);
    expect(output.endsWith("vwxyz")).toBe(true);
  });

  it("refuses a nonsensical cap", () => {
    expect(() => new OutputCapture(0)).toThrow(/whole number/);
  });
});

describe("sandboxEnvironment", () => {
  it("is built from scratch, never from this process's environment (only the TLS trust store's paths)", () => {
    const saved = { ...process.env };
    process.env.LOOPWRIGHT_TEST_LEAK = "leaked";
    process.env.SSL_CERT_FILE = "/etc/ssl/certs/ca-certificates.crt";
    process.env.NODE_EXTRA_CA_CERTS = "relative/not-a-path.pem";
    try {
      const env = sandboxEnvironment({ home: "/home/sandbox", tmp: "/tmp", extras: { NODE_ENV: "test" } });
      const trust = [
        "CURL_CA_BUNDLE",
        "GIT_SSL_CAINFO",
        "PIP_CERT",
        "REQUESTS_CA_BUNDLE",
        "SSL_CERT_DIR",
      ].filter((name) => process.env[name]?.startsWith("/"));
      expect(Object.keys(env).sort()).toEqual(
        ["CI", "HOME", "LANG", "NODE_ENV", "PATH", "SSL_CERT_FILE", "TERM", "TMPDIR", ...trust].sort(),
      );
      expect(env).toMatchObject({ HOME: "/home/sandbox", TERM: "dumb", CI: "true", NODE_ENV: "test" });
    } finally {
      for (const name of ["LOOPWRIGHT_TEST_LEAK", "SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS"]) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    }
  });

  it.each([
    ["GITHUB_TOKEN", /looks like a credential/],
    ["OPENAI_API_KEY", /looks like a credential/],
    ["DATABASE_URL", /looks like a credential/],
    ["NPM_TOKEN", /looks like a credential/],
    ["PATH", /set by the sandbox/],
    ["HOME", /set by the sandbox/],
    ["1BAD", /invalid environment variable name/],
    ["A=B", /invalid environment variable name/],
  ])("refuses %s", (name, message) => {
    expect(() => sandboxEnvironment({ home: "/h", tmp: "/t", extras: { [name]: "x" } })).toThrow(message);
  });

  it("refuses a value with NUL", () => {
    expect(() => sandboxEnvironment({ home: "/h", tmp: "/t", extras: { A: "a\0b" } })).toThrow(
      SandboxEnvironmentError,
    );
  });
});

describe("limits", () => {
  it("fills defaults and names a bad limit", () => {
    expect(resolveLimits()).toEqual(DEFAULT_LIMITS);
    expect(resolveLimits({ maxProcesses: 64 }).maxProcesses).toBe(64);
    expect(() => resolveLimits({ cpuSeconds: 0 })).toThrow(/cpuSeconds/);
    expect(() => resolveLimits({ memoryBytes: 1.5 })).toThrow(/memoryBytes/);
  });

  it("drops root to an unprivileged uid without any capability and no way back", () => {
    const args = limitArguments(resolveLimits({ maxProcesses: 64, fileBytes: 2 ** 20 }), {
      mode: "bwrap",
      identity: { uid: 1_600_000_123, gid: 1_599_999_999 },
    });
    expect(args[0]).toBe("setpriv");
    expect(args).toContain("--reuid=1600000123");
    expect(args).toContain("--regid=1599999999");
    for (const cleared of [
      "--inh-caps=-all",
      "--ambient-caps=-all",
      "--bounding-set=-all",
      "--no-new-privs",
    ]) {
      expect(args).toContain(cleared);
    }
    expect(args.join(" ")).not.toMatch(/dac_override|fowner/);
    const limits = args.slice(args.indexOf("prlimit"));
    expect(limits).toContain("--nproc=64");
    expect(limits).toContain(`--fsize=${2 ** 20}`);
    expect(args.at(-1)).toBe("--");
  });

  it("keeps the caller's uid inside a user namespace when not root, still without new privileges", () => {
    const args = limitArguments(resolveLimits(), { mode: "bwrap" });
    expect(args.slice(0, args.indexOf("--"))).toEqual(["setpriv", "--no-new-privs"]);
  });

  it("counts the user's other processes when no namespace separates them (mode none)", () => {
    const args = limitArguments(resolveLimits({ maxProcesses: 64 }), { mode: "none", extraProcesses: 10 });
    expect(args).toContain("--nproc=74");
    expect(args).toContain("--pdeathsig=KILL");
  });
});
