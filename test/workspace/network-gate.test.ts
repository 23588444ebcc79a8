import { spawn, spawnSync } from "node:child_process";
import { lookup } from "node:dns/promises";
import { existsSync, statSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type NetworkGate,
  type NetworkGateOptions,
  openNetworkGate,
} from "../../src/workspace/network-gate.ts";
import { addressRefusal, localNetworks } from "../../src/workspace/network-policy.ts";

/** An address the checks accept; tests reach the local upstream through it with an injected connect. */
const PUBLIC_ADDRESS = "93.184.215.14";
/** A request sent through a tunnel; the upstream closes the connection after answering it. */
const INNER_REQUEST = "GET /inside HTTP/1.1\r\nHost: public.test\r\nConnection: close\r\n\r\n";

let upstream: http.Server;
let upstreamPort = 0;
const gates: NetworkGate[] = [];

beforeAll(async () => {
  // Echoes what it received, so tests see exactly what the gate forwarded.
  upstream = http.createServer((request, response) => {
    response.setHeader("x-upstream", "yes");
    response.end(JSON.stringify({ method: request.method, url: request.url, headers: request.headers }));
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  upstreamPort = (upstream.address() as net.AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => upstream.close(resolve));
});

afterEach(async () => {
  await Promise.all(gates.splice(0).map((gate) => gate.close()));
});

/** Connects wherever the gate wanted to go to the local upstream instead, remembering where that was. */
function connectToUpstream(attempts: string[]): NetworkGateOptions["connect"] {
  return (address, port) => {
    attempts.push(`${address}:${port}`);
    return net.connect({ host: "127.0.0.1", port: upstreamPort, allowHalfOpen: true });
  };
}

/** A DNS that knows a few names; anything else does not exist. */
const fakeDns: Record<string, string[]> = {
  "public.test": [PUBLIC_ADDRESS],
  "rebound.test": ["127.0.0.1"],
  "half-rebound.test": [PUBLIC_ADDRESS, "127.0.0.1"],
  "private.test": ["10.0.0.1"],
  "metadata.test": ["169.254.169.254"],
  "v6-loopback.test": ["::1"],
  "mapped.test": ["::ffff:127.0.0.1"],
  "empty.test": [],
};

async function fakeLookup(host: string): Promise<{ address: string; family: number }[]> {
  if (net.isIP(host)) return [{ address: host, family: net.isIP(host) }];
  const addresses = fakeDns[host];
  if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
  return addresses.map((address) => ({ address, family: net.isIP(address) }));
}

async function openGate(options: Partial<NetworkGateOptions> = {}): Promise<NetworkGate> {
  const gate = await openNetworkGate({
    allowedHosts: [...Object.keys(fakeDns), "::1"],
    lookup: fakeLookup,
    ...options,
  });
  gates.push(gate);
  return gate;
}

/** Sends raw bytes to the gate's socket and returns everything it answers until it closes. */
function exchange(gate: NetworkGate, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(gate.socketPath);
    let received = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk) => {
      received += chunk;
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(received));
    socket.write(text);
  });
}

function connectRequest(authority: string): string {
  return `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`;
}

/** A plain proxy request (absolute URI) through the gate. */
function proxyGet(
  gate: NetworkGate,
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ socketPath: gate.socketPath, path: url, headers }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => {
        body += chunk;
      });
      response.on("end", () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    request.on("error", reject);
    request.end();
  });
}

describe("the network gate", () => {
  it("lives in a private directory, with a socket any sandbox uid may connect to", async () => {
    const gate = await openGate();
    expect(statSync(path.dirname(gate.socketPath)).mode & 0o777).toBe(0o700);
    expect(statSync(gate.socketPath).mode & 0o777).toBe(0o666);
    await gate.close();
    expect(existsSync(path.dirname(gate.socketPath))).toBe(false);
  });

  it("tunnels CONNECT to the checked address, never the name, with the bytes sent along", async () => {
    const attempts: string[] = [];
    const gate = await openGate({ connect: connectToUpstream(attempts) });
    // One write: the tunnelled request arrives in the CONNECT's `head` buffer.
    const answer = await exchange(gate, connectRequest("public.test:443") + INNER_REQUEST);
    expect(answer).toMatch(/^HTTP\/1\.1 200 Connection Established\r\n\r\nHTTP\/1\.1 200 OK/);
    expect(answer).toContain('"url":"/inside"');
    expect(attempts).toEqual([`${PUBLIC_ADDRESS}:443`]);
    expect(gate.decisions).toEqual([{ host: "public.test", port: 443, allowed: true }]);
  });

  it("forwards a plain request in origin form without hop-by-hop headers", async () => {
    const attempts: string[] = [];
    const gate = await openGate({ connect: connectToUpstream(attempts) });
    const reply = await proxyGet(gate, "http://public.test/some/path?q=1", {
      "proxy-authorization": "Basic c2VjcmV0",
      "proxy-connection": "keep-alive",
      connection: "x-drop-me",
      "x-drop-me": "1",
      "x-keep-me": "2",
    });
    expect(reply.status).toBe(200);
    expect(reply.headers["x-upstream"]).toBe("yes");
    const seen = JSON.parse(reply.body);
    expect(seen.url).toBe("/some/path?q=1");
    expect(seen.headers.host).toBe("public.test");
    expect(seen.headers["x-keep-me"]).toBe("2");
    for (const dropped of ["proxy-authorization", "proxy-connection", "x-drop-me"])
      expect(seen.headers).not.toHaveProperty(dropped);
    expect(attempts).toEqual([`${PUBLIC_ADDRESS}:80`]);
  });

  it("refuses a host that is not allowed, saying which are", async () => {
    const gate = await openGate({ allowedHosts: ["registry.npmjs.org", "*.pythonhosted.org"] });
    const answer = await exchange(gate, connectRequest("registry.example.com:443"));
    expect(answer).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
    expect(answer).toContain(
      "loopwright network gate: registry.example.com is not in sandbox.allowed_hosts (allowed: registry.npmjs.org, *.pythonhosted.org)",
    );
    const reply = await proxyGet(gate, "http://registry.example.com/");
    expect(reply.status).toBe(403);
    expect(reply.body).toContain("registry.example.com is not in sandbox.allowed_hosts");
  });

  it("refuses an allowed name that resolves to this machine (DNS rebinding)", async () => {
    const attempts: string[] = [];
    const gate = await openGate({ connect: connectToUpstream(attempts) });
    const answer = await exchange(gate, connectRequest("rebound.test:443"));
    expect(answer).toMatch(/^HTTP\/1\.1 403 /);
    expect(answer).toContain(
      "loopwright network gate: rebound.test resolves to 127.0.0.1 (loopback); the sandbox may not reach this machine or its network",
    );
    expect((await proxyGet(gate, "http://rebound.test/")).status).toBe(403);
    expect(attempts).toEqual([]);
  });

  it("refuses a name when any one of its addresses is refused", async () => {
    const gate = await openGate({ connect: connectToUpstream([]) });
    expect(await exchange(gate, connectRequest("half-rebound.test:443"))).toContain(
      "half-rebound.test resolves to 127.0.0.1 (loopback)",
    );
  });

  it.each([
    ["private.test", "10.0.0.1 (private network)"],
    ["metadata.test", "169.254.169.254 (cloud metadata)"],
    ["v6-loopback.test", "::1 (loopback)"],
    ["mapped.test", "::ffff:127.0.0.1 (loopback)"],
    ["[::1]", "::1 (loopback)"],
  ])("refuses %s, which resolves to %s", async (host, resolved) => {
    const gate = await openGate({ connect: connectToUpstream([]) });
    const answer = await exchange(gate, connectRequest(`${host}:443`));
    expect(answer).toMatch(/^HTTP\/1\.1 403 /);
    expect(answer).toContain(`resolves to ${resolved}`);
  });

  it("refuses a port that is not allowed", async () => {
    const gate = await openGate({ connect: connectToUpstream([]) });
    const answer = await exchange(gate, connectRequest("public.test:22"));
    expect(answer).toMatch(/^HTTP\/1\.1 403 /);
    expect(answer).toContain("port 22 of public.test is not allowed (allowed ports: 80, 443)");
    expect((await proxyGet(gate, "http://public.test:8080/")).status).toBe(403);
  });

  it("answers 502 when a name does not resolve, resolves to nothing, or cannot be reached", async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const closedPort = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const gate = await openGate({
      allowedHosts: ["public.test", "empty.test", "missing.test"],
      connect: () => net.connect({ host: "127.0.0.1", port: closedPort }),
    });
    expect(await exchange(gate, connectRequest("missing.test:443"))).toContain("502 Bad Gateway\r\n");
    expect(await exchange(gate, connectRequest("missing.test:443"))).toContain(
      "loopwright network gate: cannot resolve missing.test: ENOTFOUND",
    );
    expect(await exchange(gate, connectRequest("empty.test:443"))).toContain(
      "empty.test resolves to no address",
    );
    expect(await exchange(gate, connectRequest("public.test:443"))).toContain(
      "loopwright network gate: cannot connect to public.test:443: ECONNREFUSED",
    );
    const reply = await proxyGet(gate, "http://public.test/");
    expect(reply.status).toBe(502);
    expect(reply.body).toContain("cannot connect to public.test:80: ECONNREFUSED");
  });

  it.each([
    ["garbage", "garbage\r\n\r\n"],
    ["a CONNECT without a port", connectRequest("public.test")],
    ["a CONNECT to port 0", connectRequest("public.test:0")],
    ["a CONNECT to a URL", connectRequest("http://public.test:443")],
  ])("answers 400 to %s", async (_name, text) => {
    const gate = await openGate();
    expect(await exchange(gate, text)).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(gate.decisions).toEqual([]);
  });

  it("answers 400 to a request that is no proxy request", async () => {
    const gate = await openGate();
    const reply = await proxyGet(gate, "/relative");
    expect(reply.status).toBe(400);
    expect(reply.body).toContain("absolute http:// URL");
  });

  it("answers 431 to a request head too large", async () => {
    const gate = await openGate();
    const answer = await exchange(
      gate,
      `GET http://public.test/ HTTP/1.1\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
  });

  it("records and logs every decision", async () => {
    const lines: { level: number; msg: string; host: string; port: number; reason?: string }[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const gate = await openGate({ log: pino(sink), connect: connectToUpstream([]) });
    await exchange(gate, connectRequest("public.test:443") + INNER_REQUEST);
    await exchange(gate, connectRequest("metadata.test:443"));
    await exchange(gate, connectRequest("elsewhere.test:443"));
    expect(gate.decisions).toEqual([
      { host: "public.test", port: 443, allowed: true },
      {
        host: "metadata.test",
        port: 443,
        allowed: false,
        reason: expect.stringContaining("169.254.169.254 (cloud metadata)"),
      },
      {
        host: "elsewhere.test",
        port: 443,
        allowed: false,
        reason: expect.stringContaining("not in sandbox.allowed_hosts"),
      },
    ]);
    const decisions = lines.filter((line) => line.msg.startsWith("network gate "));
    expect(decisions.map((line) => [line.level, line.host])).toEqual([
      [30, "public.test"],
      [40, "metadata.test"],
      [40, "elsewhere.test"],
    ]);
  });

  it("destroys open tunnels when closed", async () => {
    const gate = await openGate({ connect: connectToUpstream([]) });
    const socket = net.connect(gate.socketPath);
    const established = new Promise((resolve) => socket.once("data", resolve));
    const closed = new Promise((resolve) => socket.once("close", resolve));
    socket.write(connectRequest("public.test:443"));
    await established;
    await gate.close();
    await closed;
    expect(socket.destroyed).toBe(true);
  });
});

const bridgeScript = fileURLToPath(new URL("../../src/workspace/inside/network-bridge.ts", import.meta.url));

/** Runs the bridge on the host (no sandbox needed to check its command line and exit codes). */
function runBridge(args: string[]): Promise<{ exitCode: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bridgeScript, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (exitCode) => resolve({ exitCode, stderr }));
  });
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("the network bridge", () => {
  it("exits with the command's exit code, or 128 + the signal that killed it", async () => {
    const port = String(await freePort());
    expect(await runBridge(["--socket", "/nonexistent", "--port", port, "--", "sh", "-c", "exit 5"])).toEqual(
      {
        exitCode: 5,
        stderr: "",
      },
    );
    const killed = await runBridge([
      "--socket",
      "/nonexistent",
      "--port",
      port,
      "--",
      "sh",
      "-c",
      "kill -TERM $$",
    ]);
    expect(killed.exitCode).toBe(128 + 15);
  });

  it("exits 127 when the command cannot be started", async () => {
    const result = await runBridge([
      "--socket",
      "/x",
      "--port",
      String(await freePort()),
      "--",
      "no-such-cmd",
    ]);
    expect(result.exitCode).toBe(127);
    expect(result.stderr).toContain("loopwright network bridge: cannot run no-such-cmd:");
  });

  it.each([
    ["no command", ["--socket", "/x", "--port", "3128"]],
    ["an empty command", ["--socket", "/x", "--port", "3128", "--"]],
    ["no socket", ["--port", "3128", "--", "true"]],
    ["a bad port", ["--socket", "/x", "--port", "http", "--", "true"]],
    ["an unknown option", ["--socket", "/x", "--port", "3128", "--verbose", "--", "true"]],
  ])("exits 2 on %s", async (_name, args) => {
    const result = await runBridge(args);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("usage: node network-bridge.ts");
  });
});

/** Why the bubblewrap tests cannot run here, or undefined when they can. */
function endToEndSkipReason(): string | undefined {
  for (const tool of ["bwrap", "curl"])
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  const probe = spawnSync("bwrap", ["--unshare-net", "--ro-bind", "/", "/", "true"], { encoding: "utf8" });
  if (probe.status !== 0) return `bwrap --unshare-net does not work here: ${probe.stderr.trim()}`;
  return undefined;
}

/** Why the gate must refuse the npm registry on this machine (its DNS answers a non-public address), if so. */
async function registrySkipReason(): Promise<string | undefined> {
  try {
    for (const { address } of await lookup(REGISTRY, { all: true })) {
      const reason = addressRefusal(address, localNetworks());
      if (reason) return `${REGISTRY} resolves to ${address} (${reason}) here, which the gate refuses`;
    }
    return undefined;
  } catch (error) {
    return `${REGISTRY} does not resolve here: ${(error as Error).message}`;
  }
}

const REGISTRY = "registry.npmjs.org";
const skipEndToEnd = endToEndSkipReason();
if (skipEndToEnd) console.warn(`skipping the network gate tests through bubblewrap: ${skipEndToEnd}`);
const skipRegistry = skipEndToEnd ?? (await registrySkipReason());
if (skipRegistry) console.warn(`skipping the network gate test that reaches the internet: ${skipRegistry}`);

const insideDir = fileURLToPath(new URL("../../src/workspace/inside", import.meta.url));
const BRIDGE_PORT = 3128;

/** Runs curl in a fresh network namespace behind the bridge to `gate`, as a sandboxed command would. */
function curlInSandbox(
  gate: NetworkGate,
  args: string[],
): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  const proxy = `http://127.0.0.1:${BRIDGE_PORT}`;
  const argv = [
    "--die-with-parent",
    "--unshare-net",
    "--unshare-pid",
    "--ro-bind",
    "/",
    "/",
    "--dev",
    "/dev",
    "--proc",
    "/proc",
    "--tmpfs",
    "/tmp",
    // /run is read-only under --ro-bind / /: a tmpfs gives the mount points a place.
    "--tmpfs",
    "/run",
    "--bind",
    path.dirname(gate.socketPath),
    "/run/gate",
    "--ro-bind",
    insideDir,
    "/run/inside",
    "--",
    process.execPath,
    "/run/inside/network-bridge.ts",
    "--socket",
    `/run/gate/${path.basename(gate.socketPath)}`,
    "--port",
    String(BRIDGE_PORT),
    "--",
    "curl",
    "-sS",
    "--max-time",
    "30",
    ...args,
  ];
  // curl reads only the lower-case http_proxy, for safety; other tools read the upper-case names.
  const env = {
    PATH: process.env.PATH,
    HTTP_PROXY: proxy,
    HTTPS_PROXY: proxy,
    http_proxy: proxy,
    https_proxy: proxy,
  };
  return new Promise((resolve, reject) => {
    const child = spawn("bwrap", argv, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (exitCode) => resolve({ exitCode, stdout, stderr }));
  });
}

describe.skipIf(skipEndToEnd)("the network gate through bubblewrap", () => {
  let internetGate: NetworkGate;
  let localGate: NetworkGate;
  let hostServer: http.Server;
  let hostPort = 0;

  beforeAll(async () => {
    hostServer = http.createServer((_request, response) => response.end("the host answered\n"));
    await new Promise<void>((resolve) => hostServer.listen(0, "127.0.0.1", resolve));
    hostPort = (hostServer.address() as net.AddressInfo).port;
    internetGate = await openNetworkGate({
      allowedHosts: [REGISTRY, "localhost"],
      ports: [80, 443, hostPort],
    });
    localGate = await openNetworkGate({
      allowedHosts: ["public.test"],
      lookup: fakeLookup,
      connect: connectToUpstream([]),
    });
  });

  afterAll(async () => {
    await internetGate.close();
    await localGate.close();
    await new Promise((resolve) => hostServer.close(resolve));
  });

  it.skipIf(skipRegistry)("reaches an allowed registry on the internet", { timeout: 240_000 }, async () => {
    const result = await curlInSandbox(internetGate, [
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      `https://${REGISTRY}/is-number`,
    ]);
    expect(result).toMatchObject({ exitCode: 0, stdout: "200" });
    expect(internetGate.decisions).toContainEqual({ host: REGISTRY, port: 443, allowed: true });
  });

  it("carries plain and CONNECT requests from the sandbox to an allowed host", {
    timeout: 240_000,
  }, async () => {
    const plain = await curlInSandbox(localGate, ["http://public.test/plain"]);
    expect(plain.exitCode).toBe(0);
    expect(JSON.parse(plain.stdout)).toMatchObject({ url: "/plain", headers: { host: "public.test" } });

    const tunnelled = await curlInSandbox(localGate, ["--proxytunnel", "http://public.test/tunnelled"]);
    expect(tunnelled.exitCode).toBe(0);
    expect(JSON.parse(tunnelled.stdout)).toMatchObject({ url: "/tunnelled" });
    expect(localGate.decisions).toEqual([
      { host: "public.test", port: 80, allowed: true },
      { host: "public.test", port: 80, allowed: true },
    ]);
  });

  it("cannot reach the host's loopback, directly or through the gate", { timeout: 240_000 }, async () => {
    const direct = await curlInSandbox(internetGate, ["--noproxy", "*", `http://127.0.0.1:${hostPort}/`]);
    expect(direct.exitCode).toBe(7); // could not connect: nothing listens on the sandbox's own loopback
    expect(direct.stdout).not.toContain("the host answered");

    const proxied = await curlInSandbox(internetGate, [
      "-w",
      "\n%{http_code}",
      `http://127.0.0.1:${hostPort}/`,
    ]);
    expect(proxied.stdout).toContain("127.0.0.1 is not in sandbox.allowed_hosts");
    expect(proxied.stdout).toMatch(/\n403$/);

    const rebound = await curlInSandbox(internetGate, [
      "-w",
      "\n%{http_code}",
      `http://localhost:${hostPort}/`,
    ]);
    expect(rebound.stdout).toMatch(/localhost resolves to (127\.0\.0\.1|::1) \(loopback\)/);
    expect(rebound.stdout).toMatch(/\n403$/);
  });

  it("refuses a host that is not allowed", { timeout: 240_000 }, async () => {
    const result = await curlInSandbox(internetGate, [
      "-o",
      "/dev/null",
      "-w",
      "%{http_connect}",
      "https://example.org/",
    ]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stdout).toBe("403");
    expect(result.stderr).toMatch(/CONNECT tunnel failed, response 403/);
    expect(internetGate.decisions).toContainEqual({
      host: "example.org",
      port: 443,
      allowed: false,
      reason: expect.stringContaining("not in sandbox.allowed_hosts"),
    });
  });
});
