// Times every Request and Close through the rest of the chain and reports how it ended (for the
// request and close metrics). First in the chain, so refusals by any element are counted too. A
// request is a peer's by its explicit mark, as the peer element decides.
import type { LifecycleSignal } from "../actors/observe.js";
import { PEER_REQUEST_LABEL } from "../registry/labels.js";
import { attempt } from "../util/attempt.js";
import { RequestError } from "./errors.js";
import type { Element } from "./types.js";

/** The gRPC status name a call ended with; the gRPC layer answers other errors as INTERNAL. */
const codeOf = (error: unknown) => (error instanceof RequestError ? error.code : "INTERNAL");

/** Runs `work`, then reports its outcome and how long it took; the answer or error passes on unchanged. */
function timed<T>(
  work: () => Promise<T>,
  report: (seconds: number, failed: boolean, error?: unknown) => void,
): Promise<T> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  return attempt(work).then(
    (value) => {
      report(seconds(), false);
      return value;
    },
    (error: unknown) => {
      report(seconds(), true, error);
      throw error;
    },
  );
}

export function measure(signal: (s: LifecycleSignal) => void): Element {
  return (next) => ({
    request: (req, ctx) => {
      const kind = req.connection?.labels?.[PEER_REQUEST_LABEL] === undefined ? "client" : "peer";
      return timed(
        () => next.request(req, ctx),
        (seconds, failed, error) =>
          signal(
            failed
              ? { type: "request", kind, outcome: "error", code: codeOf(error), seconds }
              : { type: "request", kind, outcome: "ok", code: "OK", seconds },
          ),
      );
    },
    close: (conn, ctx) =>
      timed(
        () => next.close(conn, ctx),
        (seconds, failed) => signal({ type: "close", outcome: failed ? "error" : "ok", seconds }),
      ),
  });
}
