// The network bridge runs INSIDE the sandbox, which has its own network namespace with nothing in
// it but a loopback. It listens on 127.0.0.1:PORT there and carries each connection to the network
// gate's unix socket, bind-mounted from the host, then runs the command with the proxy variables
// pointing at it: the command reaches the internet only through the gate, never the host.
//
//   node network-bridge.ts --socket PATH --port N -- CMD [ARGS…]
//
// Only this folder is mounted into the sandbox, so this file imports nothing but node: built-ins
// and uses only TypeScript syntax that Node strips by itself.
import { spawn } from "node:child_process";
import net from "node:net";
import { constants } from "node:os";
import { parseArgs } from "node:util";

const USAGE = "usage: node network-bridge.ts --socket PATH --port N -- CMD [ARGS…]";

function fail(message: string, exitCode: number): never {
  process.stderr.write(`loopwright network bridge: ${message}\n`);
  process.exit(exitCode);
}

function parseCommandLine(argv: string[]): { socket: string; port: number; command: string[] } {
  const separator = argv.indexOf("--");
  if (separator < 0 || separator === argv.length - 1) fail(`no command given\n${USAGE}`, 2);
  let values: { socket?: string; port?: string };
  try {
    ({ values } = parseArgs({
      args: argv.slice(0, separator),
      options: { socket: { type: "string" }, port: { type: "string" } },
    }));
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`, 2);
  }
  const port = Number(values.port);
  if (!values.socket || !Number.isInteger(port) || port < 1 || port > 65535)
    fail(`--socket and a --port between 1 and 65535 are required\n${USAGE}`, 2);
  return { socket: values.socket, port, command: argv.slice(separator + 1) };
}

/** Carries one accepted connection to a new connection on the gate's socket. */
function bridge(client: net.Socket, socketPath: string): void {
  const gate = net.connect({ path: socketPath, allowHalfOpen: true });
  const destroyBoth = () => {
    client.destroy();
    gate.destroy();
  };
  for (const socket of [client, gate]) {
    socket.on("error", destroyBoth);
    socket.on("close", destroyBoth);
  }
  client.pipe(gate);
  gate.pipe(client);
}

const { socket, port, command } = parseCommandLine(process.argv.slice(2));
const listener = net.createServer({ allowHalfOpen: true }, (client) => bridge(client, socket));
await new Promise<void>((resolve) => {
  listener.once("error", (error) => fail(`cannot listen on 127.0.0.1:${port}: ${error.message}`, 1));
  listener.listen(port, "127.0.0.1", resolve);
});

const [file, ...args] = command as [string, ...string[]];
const child = spawn(file, args, { stdio: "inherit" });
child.once("error", (error) => fail(`cannot run ${file}: ${error.message}`, 127));
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(signal, () => child.kill(signal));
child.once("exit", (code, signal) => {
  listener.close();
  process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0));
});
