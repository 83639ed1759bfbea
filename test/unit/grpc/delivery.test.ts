// watchDelivery through a real grpc-js client and server on loopback: it finds the HTTP/2 stream under
// the call (grpc-js internals: this fails first if a grpc-js upgrade moves them), with and without a
// server interceptor, and tells an answer the caller received from one it reset first, or an error.
import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { type Delivery, http2StreamOf, watchDelivery } from "../../../src/grpc/delivery.js";
import { HealthClient, HealthService } from "../../../src/grpc/gen/grpc/health/v1/health.js";
import { Transport } from "../../../src/grpc/transport.js";
import { waitFor } from "../../support/endpoint.js";

type Answer = (
  call: grpc.ServerUnaryCall<unknown, unknown>,
  d: Delivery,
  cb: grpc.sendUnaryData<unknown>,
) => void;

describe("watchDelivery", () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** A Health server whose Check is answered by `answer`; what watchDelivery said, per call. */
  async function world(answer: Answer, o: { interceptors?: grpc.ServerInterceptor[] } = {}) {
    const transport = new Transport({ serverInterceptors: o.interceptors });
    const server = transport.server();
    const outcomes: Array<Promise<boolean>> = [];
    const found: boolean[] = [];
    server.addService(HealthService, {
      check: (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        found.push(http2StreamOf(call) !== undefined);
        const d = watchDelivery(call)!;
        outcomes.push(d.delivered);
        answer(call, d, cb);
      },
      watch: (call: grpc.ServerWritableStream<unknown, unknown>) => call.end(),
    } as never);
    const bound = await transport.bind(server, "127.0.0.1:0");
    cleanups.push(() => transport.shutdown(server, { force: true }));
    const client = new Transport().client(HealthClient, `127.0.0.1:${bound.kind === "tcp" ? bound.port : 0}`);
    cleanups.push(() => client.close());
    return { client, outcomes, found };
  }

  const check = (client: HealthClient) =>
    new Promise<string>((resolve) =>
      client.check({ service: "" }, (err) => resolve(err ? (grpc.status[err.code] ?? "?") : "OK")),
    );

  it("an OK answer that went out is delivered; the stream is found under an interceptor too", async () => {
    const passThrough: grpc.ServerInterceptor = (_m, call) => new grpc.ServerInterceptingCall(call);
    for (const interceptors of [undefined, [passThrough]]) {
      const w = await world(
        (_call, d, cb) => {
          d.answered(true);
          cb(null, { status: 1 });
        },
        { interceptors },
      );
      expect(await check(w.client)).toBe("OK");
      expect(w.found).toEqual([true]);
      expect(await w.outcomes[0]).toBe(true);
    }
  });

  it("an answer given after the caller reset the call is not delivered", async () => {
    let call!: grpc.ClientUnaryCall;
    const w = await world((c, d, cb) => {
      // Answered only once grpc-js has seen the reset: the answer is dropped.
      c.once("cancelled", () => {
        d.answered(true);
        cb(null, { status: 1 });
      });
      call.cancel();
    });
    const code = new Promise<string>((resolve) => {
      call = w.client.check({ service: "" }, (err) => resolve(err ? (grpc.status[err.code] ?? "?") : "OK"));
    });
    expect(await code).toBe("CANCELLED");
    await waitFor(() => w.outcomes.length === 1, "the call to reach the server");
    expect(await w.outcomes[0]).toBe(false);
  });

  it("an error answer is not a delivered answer", async () => {
    const w = await world((_call, d, cb) => {
      d.answered(false);
      cb({ code: grpc.status.UNAVAILABLE, details: "no" });
    });
    expect(await check(w.client)).toBe("UNAVAILABLE");
    expect(await w.outcomes[0]).toBe(false);
  });
});
