import { lookup as dnsLookup } from "node:dns/promises";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { Duplex } from "node:stream";
import type { Logger } from "../logger.ts";
import { addressRefusal, hostAllowed, localNetworks } from "./network-policy.ts";

export type NetworkGateOptions = {
  allowedHosts: string[];
  /** Ports a CONNECT or plain request may reach (default [80, 443]). */
  ports?: number[];
  log?: Logger;
  /** DNS lookup, injectable for tests; default node:dns/promises lookup(host, { all: true }). */
  lookup?: (host: string) => Promise<{ address: string; family: number }[]>;
  /**
   * Opens the TCP connection to an address that passed every check; default net.connect. Tests
   * inject one to reach a local server through an address the checks accept.
   */
  connect?: (address: string, port: number) => net.Socket;
};

export type NetworkGate = {
  /**
   * The unix socket the sandbox's bridge connects to (inside a fresh 0700 directory; the socket
   * itself 0666 so an unprivileged sandbox uid can connect once it is bind-mounted). Bind-mount
   * the socket file, not its directory, which such a uid cannot enter.
   */
  socketPath: string;
  /** Connections allowed and refused so far, with host and reason, for the step log. */
  readonly decisions: NetworkDecision[];
  /** Closes the server, destroys open tunnels, removes the directory. */
  close(): Promise<void>;
};

export type NetworkDecision = { host: string; port: number; allowed: boolean; reason?: string };

/** Beyond this many open connections the gate drops new ones: a runaway command cannot exhaust the host. */
const MAX_CONNECTIONS = 256;
/** Longest request head accepted (request line and headers). */
const MAX_HEADER_BYTES = 16 * 1024;
/** How many allowed hosts a refusal lists before eliding the rest. */
const LISTED_HOSTS = 8;

/** Headers that describe one hop, not the request: never forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP_HEADERS = [
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];

type Verdict = { allowed: true; address: string } | { allowed: false; status: 403 | 502; message: string };

async function defaultLookup(host: string): Promise<{ address: string; family: number }[]> {
  return dnsLookup(host, { all: true });
}

/** A refusal's text: one line a person reading a failed `npm ci` understands. */
function refusal(status: 403 | 502, message: string): Verdict {
  return { allowed: false, status, message: `loopwright network gate: ${message}` };
}

function listHosts(hosts: string[]): string {
  if (!hosts.length) return "none";
  const listed = hosts.slice(0, LISTED_HOSTS).join(", ");
  return hosts.length > LISTED_HOSTS ? `${listed}, …` : listed;
}

/** Splits a CONNECT target `host:port` or `[v6]:port`; undefined when malformed. */
function parseAuthority(authority: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]/]+)):(\d{1,5})$/.exec(authority);
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: (match[1] ?? match[2])!, port };
}

/** Drops hop-by-hop headers, including those the Connection header names. */
function endToEndHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const named = String(headers.connection ?? "")
    .split(",")
    .map((name) => name.trim().toLowerCase());
  const dropped = new Set([...HOP_BY_HOP_HEADERS, ...named]);
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !dropped.has(name)));
}

/** A raw HTTP response on a socket that no longer speaks HTTP through Node's server (CONNECT). */
function answerRaw(socket: Duplex, status: number, reason: string, body: string): void {
  const text = `${body}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}

function answer(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { "content-type": "text/plain; charset=utf-8", connection: "close" });
  response.end(`${body}\n`);
}

/** Pipes two sockets both ways, passing half-closes on; when either fails or closes, both go. */
function tunnel(a: Duplex, b: Duplex): void {
  const destroyBoth = () => {
    a.destroy();
    b.destroy();
  };
  for (const socket of [a, b]) {
    socket.on("error", destroyBoth);
    socket.on("close", destroyBoth);
  }
  a.pipe(b);
  b.pipe(a);
}

/**
 * Starts the network gate: an HTTP proxy on a unix socket that lets a sandboxed command reach the
 * allowed hosts on the allowed ports, and nothing else. Each host is resolved here, every address
 * it resolves to must be public, and the connection goes to that checked address, never to the
 * name again, so a DNS answer that changes between check and connect (rebinding) cannot reach
 * this machine, its network or the cloud metadata service.
 *
 * @example
 * const gate = await openNetworkGate({ allowedHosts: ["registry.npmjs.org"], log });
 * // bind-mount gate.socketPath into the sandbox, run the command behind the network bridge
 * await gate.close();
 */
export async function openNetworkGate(options: NetworkGateOptions): Promise<NetworkGate> {
  const ports = options.ports ?? [80, 443];
  const lookup = options.lookup ?? defaultLookup;
  // Read when the gate opens: an interface added later is a rare event for a task's lifetime.
  const hostNetworks = localNetworks();
  const connect =
    options.connect ??
    ((address: string, port: number) => net.connect({ host: address, port, allowHalfOpen: true }));
  const decisions: NetworkDecision[] = [];
  const sockets = new Set<Duplex>();

  function track(socket: Duplex): void {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  }

  function record(host: string, port: number, verdict: Verdict): void {
    if (verdict.allowed) {
      decisions.push({ host, port, allowed: true });
      options.log?.info({ host, port, address: verdict.address }, "network gate allowed a connection");
    } else {
      decisions.push({ host, port, allowed: false, reason: verdict.message });
      options.log?.warn({ host, port, reason: verdict.message }, "network gate refused a connection");
    }
  }

  async function check(host: string, port: number): Promise<Verdict> {
    if (!ports.includes(port))
      return refusal(403, `port ${port} of ${host} is not allowed (allowed ports: ${ports.join(", ")})`);
    if (!hostAllowed(host, options.allowedHosts))
      return refusal(
        403,
        `${host} is not in sandbox.allowed_hosts (allowed: ${listHosts(options.allowedHosts)})`,
      );
    let addresses: { address: string }[];
    try {
      addresses = await lookup(host);
    } catch (error) {
      return refusal(502, `cannot resolve ${host}: ${(error as NodeJS.ErrnoException).code ?? error}`);
    }
    if (!addresses.length) return refusal(502, `${host} resolves to no address`);
    for (const { address } of addresses) {
      const reason = addressRefusal(address, hostNetworks);
      if (reason)
        return refusal(
          403,
          `${host} resolves to ${address} (${reason}); the sandbox may not reach this machine or its network`,
        );
    }
    return { allowed: true, address: addresses[0]!.address };
  }

  async function decide(host: string, port: number): Promise<Verdict> {
    const verdict = await check(host, port);
    record(host, port, verdict);
    return verdict;
  }

  function connectFailed(host: string, port: number, error: Error): string {
    options.log?.warn({ host, port, err: error }, "network gate could not connect");
    return `loopwright network gate: cannot connect to ${host}:${port}: ${(error as NodeJS.ErrnoException).code ?? error.message}`;
  }

  async function handleConnect(request: IncomingMessage, client: Duplex, head: Buffer): Promise<void> {
    client.on("error", () => client.destroy());
    const target = parseAuthority(request.url ?? "");
    if (!target) {
      answerRaw(client, 400, "Bad Request", "loopwright network gate: CONNECT needs host:port");
      return;
    }
    const verdict = await decide(target.host, target.port);
    if (client.destroyed) return;
    if (!verdict.allowed) {
      answerRaw(
        client,
        verdict.status,
        verdict.status === 403 ? "Forbidden" : "Bad Gateway",
        verdict.message,
      );
      return;
    }
    const upstream = connect(verdict.address, target.port);
    track(upstream);
    client.once("close", () => upstream.destroy());
    const refuseFailedConnect = (error: Error) =>
      answerRaw(client, 502, "Bad Gateway", connectFailed(target.host, target.port, error));
    upstream.once("error", refuseFailedConnect);
    upstream.once("connect", () => {
      upstream.off("error", refuseFailedConnect);
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length) upstream.write(head);
      tunnel(client, upstream);
    });
  }

  async function handleRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(request.url ?? "");
    } catch {
      answer(response, 400, "loopwright network gate: a proxy request needs an absolute http:// URL");
      return;
    }
    if (url.protocol !== "http:") {
      answer(response, 400, `loopwright network gate: cannot forward ${url.protocol} requests; use CONNECT`);
      return;
    }
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    const port = Number(url.port || 80);
    const verdict = await decide(host, port);
    if (response.destroyed) return;
    if (!verdict.allowed) {
      answer(response, verdict.status, verdict.message);
      return;
    }
    const upstream = http.request({
      method: request.method,
      path: `${url.pathname}${url.search}`,
      headers: { ...endToEndHeaders(request.headers), host: url.host },
      createConnection: () => {
        const socket = connect(verdict.address, port);
        track(socket);
        return socket;
      },
    });
    response.once("close", () => upstream.destroy());
    upstream.once("error", (error) => {
      const message = connectFailed(host, port, error);
      if (response.headersSent) response.destroy();
      else answer(response, 502, message);
    });
    upstream.once("response", (reply) => {
      response.writeHead(reply.statusCode ?? 502, reply.statusMessage, endToEndHeaders(reply.headers));
      reply.pipe(response);
    });
    request.pipe(upstream);
  }

  const directory = await mkdtemp(path.join(os.tmpdir(), "loopwright-gate-"));
  const socketPath = path.join(directory, "gate.sock");
  const server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES });
  server.maxConnections = MAX_CONNECTIONS;
  server.on("connection", track);
  // A bug while handling one connection drops that connection, never the server.
  const failed = (error: unknown) => options.log?.error({ err: error }, "network gate failed a connection");
  server.on("connect", (request: IncomingMessage, client: Duplex, head: Buffer) => {
    handleConnect(request, client, head).catch((error) => {
      failed(error);
      client.destroy();
    });
  });
  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    handleRequest(request, response).catch((error) => {
      failed(error);
      response.destroy();
    });
  });
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable) return socket.destroy();
    const tooLarge = error.code === "HPE_HEADER_OVERFLOW";
    answerRaw(
      socket,
      tooLarge ? 431 : 400,
      tooLarge ? "Request Header Fields Too Large" : "Bad Request",
      `loopwright network gate: ${tooLarge ? "request head too large" : "malformed request"}`,
    );
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(socketPath, resolve);
    });
    await chmod(socketPath, 0o666);
  } catch (error) {
    server.close();
    await rm(directory, { recursive: true, force: true });
    throw error;
  }

  return {
    socketPath,
    decisions,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
      await rm(directory, { recursive: true, force: true });
    },
  };
}
