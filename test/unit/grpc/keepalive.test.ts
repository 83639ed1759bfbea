// Dead-peer detection through the transport's keepalive, with a proxy that freezes the connection
// (no FIN, no RST) between a real grpc-js client and server: each side notices on its own. The
// short timings stand in for the defaults, which are checked against what NSM's Go servers accept.
import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { HealthClient, HealthService } from "../../../src/grpc/gen/grpc/health/v1/health.js";
import { HealthStatus } from "../../../src/grpc/health.js";
import { DEFAULT_KEEPALIVE, type Keepalive } from "../../../src/grpc/keepalive.js";
import { Transport } from "../../../src/grpc/transport.js";
import { waitFor } from "../../support/endpoint.js";
import { startFreezingProxy } from "../../support/grpc/freezing-proxy.js";

const QUIET: Keepalive = {
  clientTimeMs: 600_000,
  clientTimeoutMs: 20_000,
  serverTimeMs: 600_000,
  serverTimeoutMs: 20_000,
};
const QUICK: Keepalive = { clientTimeMs: 200, clientTimeoutMs: 300, serverTimeMs: 200, serverTimeoutMs: 300 };

describe("keepalive", () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** A Health server whose Watch streams report their end, and a client's Watch through a proxy. */
  const world = async (server: Keepalive, client: Keepalive) => {
    const serverSide = new Transport({ keepalive: server });
    const grpcServer = serverSide.server();
    const health = new HealthStatus();
    health.set("", true);
    const impl = health.server();
    const ended = { server: false };
    grpcServer.addService(HealthService, {
      ...impl,
      watch: (call: Parameters<typeof impl.watch>[0]) => {
        call.on("cancelled", () => {
          ended.server = true;
        });
        impl.watch(call);
      },
    });
    const bound = await serverSide.bind(grpcServer, "127.0.0.1:0");
    cleanups.push(() => serverSide.shutdown(grpcServer, { force: true }));
    const proxy = await startFreezingProxy(bound.kind === "tcp" ? bound.port : 0);
    cleanups.push(() => proxy.close());
    const c = new Transport({ keepalive: client }).client(HealthClient, `127.0.0.1:${proxy.port}`);
    cleanups.push(() => c.close());
    const stream = c.watch({ service: "" });
    const clientEnd: { error?: grpc.ServiceError } = {};
    stream.on("error", (err: grpc.ServiceError) => {
      clientEnd.error = err;
    });
    await new Promise((resolve) => stream.once("data", resolve));
    return { proxy, ended, clientEnd, stream };
  };

  it("a server drops a client that stopped answering, ending its streams", async () => {
    const { proxy, ended, stream } = await world(QUICK, QUIET);
    cleanups.push(() => stream.cancel());
    proxy.freeze();
    await waitFor(() => ended.server, "the server to end the frozen client's stream", 10_000);
  });

  it("a client drops a server that stopped answering, failing its open stream UNAVAILABLE", async () => {
    const { proxy, clientEnd } = await world(QUIET, QUICK);
    proxy.freeze();
    await waitFor(() => clientEnd.error !== undefined, "the client to give up on the frozen server", 10_000);
    expect(clientEnd.error!.code).toBe(grpc.status.UNAVAILABLE);
  });

  it("defaults: clients ping no more often than Go's servers allow (5 min) and only with calls open", () => {
    expect(DEFAULT_KEEPALIVE.clientTimeMs).toBeGreaterThan(300_000);
    expect(DEFAULT_KEEPALIVE.serverTimeMs + DEFAULT_KEEPALIVE.serverTimeoutMs).toBeLessThanOrEqual(60_000);
  });
});
