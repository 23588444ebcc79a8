import type { IncomingMessage, ServerResponse } from "node:http";

/** Where start-up is: what the process is doing now, and whether it takes work yet. */
export type Readiness = {
  readonly ready: boolean;
  /** What start-up is doing ("opening the database", …), or why it failed. */
  readonly phase: string;
  set(phase: string): void;
  markReady(): void;
  markFailed(reason: string): void;
};

/**
 * Tracks start-up so `/ready` can answer orchestrators and tests: 503 with the current phase while
 * the database, migrations and queue come up, 200 once they have.
 *
 * @example
 * const readiness = createReadiness();
 * readiness.set("opening the database");
 * readiness.markReady();
 */
export function createReadiness(): Readiness {
  let ready = false;
  let phase = "starting";
  return {
    get ready() {
      return ready;
    },
    get phase() {
      return phase;
    },
    set(next) {
      phase = next;
    },
    markReady() {
      ready = true;
      phase = "ready";
    },
    markFailed(reason) {
      ready = false;
      phase = `failed: ${reason}`;
    },
  };
}

/**
 * An HTTP handler for `GET /ready` (Probot `Server#addHandler` shape): 200 `{"ready":true}` once
 * ready, else 503 with the phase. Liveness stays on Probot's `/ping`, which answers as soon as
 * the server listens.
 *
 * @example
 * server.addHandler(readinessHandler(readiness));
 */
export function readinessHandler(readiness: Readiness) {
  return (request: IncomingMessage, response: ServerResponse): boolean => {
    const path = (request.url ?? "").split("?")[0];
    if (path !== "/ready") return false;
    response.writeHead(readiness.ready ? 200 : 503, {
      "content-type": "application/json",
      "cache-control": "no-store",
    });
    response.end(JSON.stringify({ ready: readiness.ready, phase: readiness.phase }));
    return true;
  };
}
