// networkservice.NetworkService: Request and Close, served through the element chain.
import * as grpc from "@grpc/grpc-js";
import type { NetworkServiceHandler } from "../chain/types.js";
import type { Logger } from "../log.js";
import { attempt } from "../util/attempt.js";
import { LogLimiter } from "../util/log-limiter.js";
import { callerContext } from "./caller.js";
import { watchDelivery } from "./delivery.js";
import type { NetworkServiceServer } from "./gen/networkservice/networkservice.js";
import { deadlineOf, toServiceError } from "./status.js";
import { traceHeaders } from "./trace-headers.js";

/** Aborts when the caller cancels the call (or grpc-js gives up on it): the answer would reach nobody. */
function cancelSignal(call: grpc.ServerUnaryCall<unknown, unknown>): AbortSignal {
  const controller = new AbortController();
  if (call.cancelled) controller.abort();
  else call.once("cancelled", () => controller.abort());
  return controller.signal;
}

const grpcStatusName = (code: number | undefined) => grpc.status[code ?? grpc.status.UNKNOWN] ?? String(code);

export function networkServiceServer(
  handler: NetworkServiceHandler,
  log: Logger,
  timeoutMs: number,
): NetworkServiceServer {
  // A client sending bad requests in a loop must not flood the log: alike failures are summed up.
  const limiter = new LogLimiter((key, suppressed, windowMs) =>
    log.info({ failures: key, suppressed, windowMs }, "alike failures not logged one by one"),
  );
  const answer = <T>(work: () => Promise<T>, cb: grpc.sendUnaryData<T>, what: string) => {
    // An element that throws instead of rejecting still answers with its own status (not UNKNOWN).
    attempt(work).then(
      (value) => cb(null, value),
      (error) => {
        const e = toServiceError(error);
        limiter.log(`${what} ${grpcStatusName(e.code)}`, () =>
          log.info({ code: e.code, err: e.details }, `${what} failed`),
        );
        cb(e);
      },
    );
  };
  return {
    request: (call, cb) => {
      // Whether the answer reaches the caller: one reset before our status went out is rolled back.
      const delivery = watchDelivery(call);
      answer(
        () =>
          handler.request(call.request, {
            deadline: deadlineOf(call, timeoutMs),
            signal: cancelSignal(call),
            delivered: delivery?.delivered,
            ...callerContext(call),
            trace: traceHeaders(call.metadata),
          }),
        (err, value) => {
          delivery?.answered(!err);
          cb(err, value);
        },
        "Request",
      );
    },
    close: (call, cb) =>
      answer(
        async () => {
          await handler.close(call.request, {
            deadline: deadlineOf(call, timeoutMs),
            ...callerContext(call),
            trace: traceHeaders(call.metadata),
          });
          return {};
        },
        cb,
        "Close",
      ),
  };
}
