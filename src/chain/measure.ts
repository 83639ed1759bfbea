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

/** Statuses that refuse what the caller sent (not the endpoint's own trouble). */
const REFUSALS = new Set(["INVALID_ARGUMENT", "PERMISSION_DENIED", "FAILED_PRECONDITION"]);
/** A field as our messages name it, once indexes and keys are taken out: a bounded set of names. */
const FIELD = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*|\[\])*$/i;

/** The refusal an error is, by code and field, or undefined if it is none. */
export function rejectionOf(error: unknown): { code: string; field: string } | undefined {
  if (!(error instanceof RequestError) || !REFUSALS.has(error.code)) return undefined;
  const head = error.message.split(": ", 1)[0]!.replace(/\[[^\]]*\]/g, "[]");
  return { code: error.code, field: head.length <= 100 && FIELD.test(head) ? head : "-" };
}

export function measure(signal: (s: LifecycleSignal) => void): Element {
  const refused = (rpc: "Request" | "Close", error: unknown) => {
    const r = rejectionOf(error);
    if (r) signal({ type: "rejection", rpc, ...r });
  };
  return (next) => ({
    request: (req, ctx) => {
      const kind = req.connection?.labels?.[PEER_REQUEST_LABEL] === undefined ? "client" : "peer";
      return timed(
        () => next.request(req, ctx),
        (seconds, failed, error) => {
          if (failed) refused("Request", error);
          signal(
            failed
              ? { type: "request", kind, outcome: "error", code: codeOf(error), seconds }
              : { type: "request", kind, outcome: "ok", code: "OK", seconds },
          );
        },
      );
    },
    close: (conn, ctx) =>
      timed(
        () => next.close(conn, ctx),
        (seconds, failed, error) => {
          if (failed) refused("Close", error);
          signal({ type: "close", outcome: failed ? "error" : "ok", seconds });
        },
      ),
  });
}
