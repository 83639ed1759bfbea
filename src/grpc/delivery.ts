// Whether a unary call's answer reached its caller, from the HTTP/2 stream under the grpc-js call: our
// OK status sent and the stream closed cleanly. A caller that resets the stream first (it cancelled)
// never got the answer, even if the handler had already given it: grpc-js then drops it silently.
// That window is wide where writes complete a turn later (grpc-js over our fd sockets), so the
// endpoint asks this before it lets go of a Request (CallContext.delivered).
import { constants, type ServerHttp2Stream } from "node:http2";
import type * as grpc from "@grpc/grpc-js";

/** How long an answer's stream may take to close before it counts as delivered (a caller that
 * stopped reading): the connection's lane is held meanwhile. */
export const DELIVERY_BOUND_MS = 10_000;

/**
 * The HTTP/2 stream of a grpc-js server call. grpc-js has no public accessor: its call objects hold
 * the intercepting call (`call`), whose chain (`nextCall`) ends at the one holding the stream
 * (`stream`); grpc-js is pinned and test/unit/grpc/delivery.test.ts fails if that shape changes.
 */
export function http2StreamOf(call: grpc.ServerUnaryCall<unknown, unknown>): ServerHttp2Stream | undefined {
  let link = (call as unknown as { call?: unknown }).call as
    | { stream?: ServerHttp2Stream; nextCall?: unknown }
    | undefined;
  for (let depth = 0; link && depth < 16; depth++) {
    if (link.stream && typeof link.stream.close === "function" && "rstCode" in link.stream)
      return link.stream;
    link = link.nextCall as typeof link;
  }
  return undefined;
}

export interface Delivery {
  /** True once the stream closed cleanly after an OK answer; false when it did not. */
  delivered: Promise<boolean>;
  /** The handler answered: `ok` with a message, or not (an error status). */
  answered(ok: boolean): void;
}

/** Watches `call`'s stream; undefined where it cannot be found (then nothing is known). */
export function watchDelivery(
  call: grpc.ServerUnaryCall<unknown, unknown>,
  boundMs = DELIVERY_BOUND_MS,
): Delivery | undefined {
  const stream = http2StreamOf(call);
  if (!stream) return undefined;
  let ok = false;
  let settled = false;
  let timer: NodeJS.Timeout | undefined;
  let settle!: (delivered: boolean) => void;
  const delivered = new Promise<boolean>((resolve) => {
    settle = (v) => {
      settled = true;
      clearTimeout(timer);
      resolve(v);
    };
  });
  // rstCode is NO_ERROR for a stream that ended with its trailers, CANCEL for one the caller reset.
  const closed = () => settle(ok && stream.rstCode === constants.NGHTTP2_NO_ERROR);
  if (stream.destroyed) closed();
  else stream.once("close", closed);
  return {
    delivered,
    answered: (v) => {
      ok = v;
      if (settled) return;
      if (!v) return settle(false);
      timer = setTimeout(() => settle(true), boundMs);
      timer.unref();
    },
  };
}
