// Times every Request and Close through the rest of the chain and reports how it ended (for the
// request and close metrics). First in the chain, so refusals by any element are counted too. A
// request is a peer's by its explicit mark, as the peer element decides.
import type { LifecycleSignal } from "../actors/observe.js";
import { PEER_REQUEST_LABEL } from "../registry/labels.js";
import { RequestError } from "./errors.js";
import type { Element } from "./types.js";

/** `work()` as a promise, also when it throws instead of rejecting (validate does, at once). */
const attempt = <T>(work: () => Promise<T>) => new Promise<T>((resolve) => resolve(work()));

/** The gRPC status name a call ended with; the gRPC layer answers other errors as INTERNAL. */
const codeOf = (error: unknown) => (error instanceof RequestError ? error.code : "INTERNAL");

export function measure(signal: (s: LifecycleSignal) => void): Element {
  return (next) => ({
    request: (req, ctx) => {
      const started = performance.now();
      const kind = req.connection?.labels?.[PEER_REQUEST_LABEL] === undefined ? "client" : "peer";
      const seconds = () => (performance.now() - started) / 1000;
      return attempt(() => next.request(req, ctx)).then(
        (conn) => {
          signal({ type: "request", kind, outcome: "ok", code: "OK", seconds: seconds() });
          return conn;
        },
        (error: unknown) => {
          signal({ type: "request", kind, outcome: "error", code: codeOf(error), seconds: seconds() });
          throw error;
        },
      );
    },
    close: (conn, ctx) => {
      const started = performance.now();
      const seconds = () => (performance.now() - started) / 1000;
      return attempt(() => next.close(conn, ctx)).then(
        () => signal({ type: "close", outcome: "ok", seconds: seconds() }),
        (error: unknown) => {
          signal({ type: "close", outcome: "error", seconds: seconds() });
          throw error;
        },
      );
    },
  });
}
