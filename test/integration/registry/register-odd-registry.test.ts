// registerEndpoint against registries whose watch does not stay up: it must not turn the watch on
// its own entry into a register loop.
import { setTimeout as sleep } from "node:timers/promises";
import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import {
  type NetworkServiceEndpointRegistryServer,
  NetworkServiceEndpointRegistryService,
} from "../../../src/grpc/gen/registry/registry.js";
import { defaultTransport } from "../../../src/grpc/transport.js";
import { formatGrpcUrl } from "../../../src/grpc/url.js";
import { silentLogger } from "../../../src/log.js";
import { type RegistrationHandle, registerEndpoint } from "../../../src/registry/register.js";
import { statusError } from "../../../src/util/grpc.js";

async function oddRegistry(find: NetworkServiceEndpointRegistryServer["find"]) {
  const counts = { register: 0 };
  const server = defaultTransport.server();
  server.addService(NetworkServiceEndpointRegistryService, {
    register(call, cb) {
      counts.register++;
      cb(null, { ...call.request, expirationTime: new Date(Date.now() + 60_000) });
    },
    find,
    unregister: (_call, cb) => cb(null, {}),
  } satisfies NetworkServiceEndpointRegistryServer);
  const url = formatGrpcUrl(await defaultTransport.bind(server, "127.0.0.1:0"));
  return { url, counts, stop: () => server.forceShutdown() };
}

describe("registerEndpoint with a registry whose watch does not stay up", () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });
  const register = (url: string): RegistrationHandle => {
    const h = registerEndpoint({
      target: url,
      nse: { name: "nse-a", serviceNames: ["vl3"], labels: {}, url: "tcp://127.0.0.1:1" },
      expiryMs: 60_000,
      log: silentLogger(),
      backoff: { initialMs: 20, maxMs: 200 },
    });
    cleanups.push(() => h.stop());
    return h;
  };

  it("backs off when every watch ends at once", async () => {
    const r = await oddRegistry((call) => call.end());
    cleanups.push(r.stop);
    const h = register(r.url);
    await h.whenRegistered();
    await sleep(1000);
    // Unchecked this would be ~50 Registers a second; the backoff (20 ms doubling to 200 ms) allows ~10.
    expect(r.counts.register).toBeGreaterThanOrEqual(2);
    expect(r.counts.register).toBeLessThanOrEqual(15);
  });

  it("stops watching a registry that has no watch (UNIMPLEMENTED) and relies on refresh", async () => {
    const r = await oddRegistry((call) =>
      call.emit("error", statusError(grpc.status.UNIMPLEMENTED, "no watch")),
    );
    cleanups.push(r.stop);
    const h = register(r.url);
    await h.whenRegistered();
    await sleep(500);
    expect(r.counts.register).toBe(1);
    expect(h.registered).toBe(true);
  });
});
