// The transport seam through real grpc-js servers and clients on real sockets: credentials come from
// the provider for each URL, interceptors and options reach every call, and a carrier can take over a
// unix listen URL and hand its connections to grpc-js.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server as NetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import {
  HealthCheckResponse_ServingStatus,
  HealthClient,
  HealthService,
} from "../../../src/grpc/gen/grpc/health/v1/health.js";
import { HealthStatus } from "../../../src/grpc/health.js";
import {
  type Carrier,
  type CredentialsProvider,
  DEFAULT_RECONNECT,
  insecureCredentials,
  Transport,
} from "../../../src/grpc/transport.js";
import { formatGrpcUrl, type GrpcUrl } from "../../../src/grpc/url.js";

const check = (client: HealthClient) =>
  new Promise<HealthCheckResponse_ServingStatus>((resolve, reject) =>
    client.check({ service: "" }, new grpc.Metadata(), { deadline: Date.now() + 5000 }, (err, res) =>
      err ? reject(err) : resolve(res.status),
    ),
  );

describe("Transport", () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  const serve = async (transport: Transport, url: GrpcUrl | string) => {
    const server = transport.server();
    const health = new HealthStatus();
    health.set("", true);
    server.addService(HealthService, health.server());
    const bound = await transport.bind(server, url);
    cleanups.push(() => transport.shutdown(server, { force: true }));
    return bound;
  };
  const dial = (transport: Transport, url: GrpcUrl | string) => {
    const client = transport.client(HealthClient, url);
    cleanups.push(() => client.close());
    return client;
  };

  it("asks its credentials provider for every client and bound URL, and applies its interceptors", async () => {
    const asked: string[] = [];
    const provider: CredentialsProvider = {
      name: "recording",
      channel: (url) => {
        asked.push(`channel ${formatGrpcUrl(url)}`);
        return insecureCredentials.channel(url);
      },
      server: (url) => {
        asked.push(`server ${formatGrpcUrl(url)}`);
        return insecureCredentials.server(url);
      },
    };
    const calls: string[] = [];
    const transport = new Transport({
      credentials: provider,
      interceptors: [
        (options, next) => {
          calls.push(options.method_definition.path);
          return new grpc.InterceptingCall(next(options));
        },
      ],
      serverInterceptors: [
        (methodDescriptor, call) => {
          calls.push(`served ${methodDescriptor.path}`);
          return new grpc.ServerInterceptingCall(call);
        },
      ],
    });
    const bound = await serve(transport, "127.0.0.1:0");
    expect(bound.kind === "tcp" && bound.port).toBeGreaterThan(0);
    expect(await check(dial(transport, bound))).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect(asked).toEqual([`server tcp://127.0.0.1:0`, `channel ${formatGrpcUrl(bound)}`]);
    expect(calls).toEqual(["/grpc.health.v1.Health/Check", "served /grpc.health.v1.Health/Check"]);
  });

  it("bounds every channel's reconnect backoff (grpc-js's own grows to 120 s); a client's backoff wins", () => {
    const seen: Array<Partial<grpc.ClientOptions> | undefined> = [];
    class Recording {
      constructor(
        _address: string,
        _credentials: grpc.ChannelCredentials,
        options?: Partial<grpc.ClientOptions>,
      ) {
        seen.push(options);
      }
    }
    const reconnect = (o?: Partial<grpc.ClientOptions>) => [
      o?.["grpc.initial_reconnect_backoff_ms"],
      o?.["grpc.max_reconnect_backoff_ms"],
    ];
    new Transport().client(Recording, "127.0.0.1:1");
    new Transport().client(Recording, "127.0.0.1:1", { backoff: { initialMs: 50, maxMs: 500 } });
    new Transport({ reconnect: { initialMs: 10, maxMs: 20 } }).client(Recording, "127.0.0.1:1");
    expect(seen.map(reconnect)).toEqual([
      [DEFAULT_RECONNECT.initialMs, DEFAULT_RECONNECT.maxMs],
      [50, 500],
      [10, 20],
    ]);
    expect(DEFAULT_RECONNECT.maxMs).toBeLessThanOrEqual(5000);
  });

  it("lets a carrier accept on a unix URL and inject its connections into grpc-js", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vl3-transport-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const seen = { wrapped: 0, accepted: 0 };
    const carrier: Carrier = {
      handles: (url) => url.kind === "unix",
      channel: (credentials) => {
        seen.wrapped++;
        return credentials;
      },
      listen: (url, injector) =>
        new Promise((resolve, reject) => {
          const listener: NetServer = createServer((socket) => {
            seen.accepted++;
            injector.injectConnection(socket);
          });
          listener.once("error", reject);
          listener.listen(url.kind === "unix" ? url.path : 0, () =>
            resolve({
              close: () => {
                listener.close();
                injector.destroy();
              },
            }),
          );
        }),
    };
    const transport = new Transport({ carriers: [carrier] });
    const url = `unix://${join(dir, "carried.sock")}`;
    expect(await serve(transport, url)).toEqual({ kind: "unix", path: join(dir, "carried.sock") });
    expect(await check(dial(transport, url))).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect(seen).toEqual({ wrapped: 1, accepted: 1 });
  });

  it("refuses an address this host does not have at once, naming it and the reason", async () => {
    const transport = new Transport();
    await expect(transport.bind(transport.server(), "198.18.255.254:1")).rejects.toThrow(
      /^cannot listen on tcp:\/\/198\.18\.255\.254:1: EADDRNOTAVAIL/,
    );
  });

  it("waits a moment for a port in use: binds it once freed, else names it in use", async () => {
    const transport = new Transport();
    const holder = transport.server();
    const held = await transport.bind(holder, "127.0.0.1:0");
    await expect(transport.bind(transport.server(), held, { inUseForMs: 100 })).rejects.toThrow(
      `cannot listen on ${formatGrpcUrl(held)}: EADDRINUSE (address in use)`,
    );
    // A predecessor that goes away within the window (a restart) leaves its port to the next.
    const next = transport.server();
    cleanups.push(() => transport.shutdown(next, { force: true }));
    const bound = transport.bind(next, held, { inUseForMs: 30_000 });
    await transport.shutdown(holder, { force: true });
    expect(await bound).toEqual(held);
  });

  it("unbinds one URL and keeps serving the others", async () => {
    const transport = new Transport();
    const server = transport.server();
    server.addService(HealthService, new HealthStatus().server());
    cleanups.push(() => transport.shutdown(server, { force: true }));
    const a = await transport.bind(server, "127.0.0.1:0");
    const b = await transport.bind(server, "127.0.0.1:0");
    transport.unbind(server, a);
    // Its port is free again: another server can have it.
    const other = transport.server();
    cleanups.push(() => transport.shutdown(other, { force: true }));
    expect(await transport.bind(other, a, { inUseForMs: 0 })).toEqual(a);
    expect(await check(dial(transport, b))).toBeDefined();
  });
});
