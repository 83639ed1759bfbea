// Many calls over one connection add no "close" listener each to its socket: the nsmgr watches the
// transport of every monitor call and Request (client-gone.ts), and a listener per call on a shared
// socket leaked until the call's window passed (MaxListenersExceededWarning in bench:mesh at N=100).
import type { Socket } from "node:net";
import type * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { HealthClient, HealthService } from "../../../src/grpc/gen/grpc/health/v1/health.js";
import { currentTcpConnection, TcpSessions } from "../../../src/grpc/tcp-sessions.js";
import { Transport } from "../../../src/grpc/transport.js";
import { TransportEnds } from "../../../src/sandbox/client-gone.js";
import { waitFor } from "../../support/endpoint.js";

const CALLS = 40;

describe("close listeners on a connection's socket (TcpSessions, TransportEnds)", () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it(`${CALLS} open watches and ${CALLS} checks over one connection leave the socket's listeners bounded`, async () => {
    const ends = new TransportEnds(60_000); // a long window: nothing expires during the test
    const sockets = new Set<Socket>();
    const open: Array<grpc.ServerWritableStream<unknown, unknown>> = [];
    const transport = new Transport({ carriers: [new TcpSessions()] });
    const server = transport.server();
    server.addService(HealthService, {
      // As the nsmgr's Request: the transport it came over is remembered for the window.
      check: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => {
        const socket = currentTcpConnection();
        if (socket) {
          sockets.add(socket);
          ends.within(socket, () => {});
        }
        cb(null, { status: 1 });
      },
      // As the nsmgr's monitor call: watched while open, settled when it ends.
      watch: (call: grpc.ServerWritableStream<unknown, unknown>) => {
        const socket = currentTcpConnection();
        if (!socket) return call.end();
        sockets.add(socket);
        const waiter = ends.watch(socket, () => {});
        call.on("close", () => ends.settle(socket, waiter));
        open.push(call);
        call.write({ status: 1 });
      },
    } as never);
    const bound = await transport.bind(server, "127.0.0.1:0");
    cleanups.push(() => transport.shutdown(server, { force: true }));
    const port = bound.kind === "tcp" ? bound.port : 0;
    const client = new Transport().client(HealthClient, `127.0.0.1:${port}`);
    cleanups.push(() => client.close());

    const check = () =>
      new Promise<void>((resolve, reject) =>
        client.check({ service: "" }, (err) => (err ? reject(err) : resolve())),
      );
    await check();
    expect(sockets.size).toBe(1);
    const [socket] = [...sockets] as [Socket];
    const before = socket.listenerCount("close");

    const streams = Array.from({ length: CALLS }, () => client.watch({ service: "" }));
    for (const s of streams) s.on("error", () => {}); // cancelled below
    await waitFor(() => open.length === CALLS, "every watch open", 10_000);
    await Promise.all(Array.from({ length: CALLS }, check));

    expect(sockets.size).toBe(1); // one connection carried every call
    expect(socket.listenerCount("close")).toBe(before);
    expect(socket.listenerCount("close")).toBeLessThanOrEqual(3);
    for (const s of streams) s.cancel();
  });
});
