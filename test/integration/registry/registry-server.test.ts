// The sandbox registry through a real grpc-js client on a real socket: NSM memory-registry semantics.
import * as grpc from "@grpc/grpc-js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  NetworkServiceEndpoint,
  NetworkServiceEndpointRegistryClient,
  type NetworkServiceEndpointResponse,
  NetworkServiceRegistryClient,
  type NetworkServiceResponse,
} from "../../../src/grpc/gen/registry/registry.js";
import { listEndpoints } from "../../../src/registry/list.js";
import { type SandboxRegistry, startRegistry } from "../../../src/sandbox/registry-server.js";
import { unary } from "../../../src/util/grpc.js";
import { collect, waitFor } from "./helpers.js";

const nse = (
  name: string,
  service = "vl3",
  labels: Record<string, string> = {},
  url = `tcp://127.0.0.1:${name.length}`,
) =>
  NetworkServiceEndpoint.fromPartial({
    name,
    networkServiceNames: [service],
    networkServiceLabels: { [service]: { labels } },
    url,
  });

describe("sandbox registry", () => {
  let registry: SandboxRegistry;
  let client: NetworkServiceEndpointRegistryClient;
  const streams: grpc.ClientReadableStream<unknown>[] = [];

  beforeEach(async () => {
    registry = await startRegistry({ maxExpiryMs: 60_000, sweepMs: 25 });
    client = new NetworkServiceEndpointRegistryClient(registry.url, grpc.credentials.createInsecure());
  });
  afterEach(async () => {
    for (const s of streams.splice(0)) {
      s.on("error", () => {});
      s.cancel();
    }
    client.close();
    await registry.stop();
  });

  const register = (e: NetworkServiceEndpoint) => unary(client, client.register, e, 2000);
  const find = (query: Partial<NetworkServiceEndpoint>) =>
    listEndpoints(client, NetworkServiceEndpoint.fromPartial(query), 2000).then((l) =>
      l.map((e) => e.name).sort(),
    );
  const watch = (query: Partial<NetworkServiceEndpoint>) => {
    const s = client.find({ networkServiceEndpoint: NetworkServiceEndpoint.fromPartial(query), watch: true });
    streams.push(s);
    return collect<NetworkServiceEndpointResponse>(s);
  };

  it("Register is an upsert that keeps initial_registration_time and clamps expiration_time", async () => {
    const asked = new Date(Date.now() + 3_600_000);
    const first = await register({ ...nse("a"), expirationTime: asked });
    expect(first.initialRegistrationTime).toBeInstanceOf(Date);
    expect(first.expirationTime!.getTime()).toBeLessThanOrEqual(Date.now() + 60_000);
    expect(first.expirationTime!.getTime()).toBeGreaterThan(Date.now() + 50_000);

    const second = await register({
      ...nse("a", "vl3", {}, "tcp://10.0.0.1:1"),
      initialRegistrationTime: undefined,
    });
    expect(second.initialRegistrationTime).toEqual(first.initialRegistrationTime);
    expect(registry.entries()).toHaveLength(1);
    expect(registry.entries()[0]!.url).toBe("tcp://10.0.0.1:1");

    const short = await register({ ...nse("b"), expirationTime: new Date(Date.now() + 5000) });
    expect(short.expirationTime!.getTime()).toBeLessThanOrEqual(Date.now() + 5000);
  });

  it("rejects an endpoint without a name", async () => {
    await expect(register(nse(""))).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
  });

  it("expiry removes the entry and tells watchers deleted: true", async () => {
    const w = watch({ networkServiceNames: ["vl3"] });
    await register({ ...nse("short"), expirationTime: new Date(Date.now() + 200) });
    await waitFor(() => w.items.some((r) => r.deleted), "a deleted event");
    const deleted = w.items.find((r) => r.deleted)!;
    expect(deleted.networkServiceEndpoint!.name).toBe("short");
    expect(deleted.networkServiceEndpoint!.expirationTime!.getTime()).toBeLessThanOrEqual(Date.now());
    expect(registry.entries()).toHaveLength(0);
  });

  it("watch streams current matches, then later joins and leaves, until cancelled", async () => {
    await register(nse("early"));
    await register(nse("other-service", "other"));
    const w = watch({ networkServiceNames: ["vl3"] });
    await waitFor(() => w.items.length === 1, "the current entry");
    expect(w.items[0]!.networkServiceEndpoint!.name).toBe("early");

    await register(nse("late"));
    await register(nse("other-late", "other"));
    await unary(client, client.unregister, nse("early"), 2000);
    await waitFor(() => w.items.length === 3, "a join and a leave");
    expect(w.items.map((r) => [r.networkServiceEndpoint!.name, r.deleted])).toEqual([
      ["early", false],
      ["late", false],
      ["early", true],
    ]);
    expect(w.errors).toEqual([]);
  });

  it("matches like NSM: empty fields are wildcards, names any-of, labels a subset, url a substring", async () => {
    await register(nse("a", "vl3", { app: "x", peer: "true" }, "tcp://10.1.1.1:5003"));
    await register(nse("b", "vl3", { app: "y" }, "tcp://10.1.1.2:5003"));
    await register(nse("c", "other", { app: "x" }, "unix:///run/c.sock"));

    expect(await find({})).toEqual(["a", "b", "c"]);
    expect(await find({ name: "a" })).toEqual(["a"]);
    expect(await find({ name: "ab" })).toEqual([]);
    expect(await find({ networkServiceNames: ["vl3"] })).toEqual(["a", "b"]);
    expect(await find({ networkServiceNames: ["missing", "other"] })).toEqual(["c"]);
    expect(await find({ networkServiceLabels: { vl3: { labels: { app: "x" } } } })).toEqual(["a"]);
    expect(await find({ networkServiceLabels: { vl3: { labels: {} } } })).toEqual(["a", "b"]);
    expect(await find({ networkServiceLabels: { vl3: { labels: { app: "x", peer: "false" } } } })).toEqual(
      [],
    );
    expect(await find({ url: "10.1.1." })).toEqual(["a", "b"]);
    expect(await find({ url: "unix://" })).toEqual(["c"]);
  });

  it("serves NetworkServiceRegistry: upsert, find with watch, unregister", async () => {
    const ns = new NetworkServiceRegistryClient(registry.url, grpc.credentials.createInsecure());
    try {
      const s = ns.find({
        networkService: { name: "", payload: "IP", matches: [], pathIds: [] },
        watch: true,
      });
      streams.push(s);
      const w = collect<NetworkServiceResponse>(s);
      await unary(ns, ns.register, { name: "vl3", payload: "IP", matches: [], pathIds: [] }, 2000);
      await unary(ns, ns.register, { name: "vl3", payload: "IP", matches: [], pathIds: [] }, 2000);
      await unary(ns, ns.register, { name: "l2", payload: "ETHERNET", matches: [], pathIds: [] }, 2000);
      expect(registry.services().map((x) => x.name)).toEqual(["vl3", "l2"]);
      await unary(ns, ns.unregister, { name: "vl3", payload: "", matches: [], pathIds: [] }, 2000);
      await waitFor(() => w.items.length === 3, "two registrations and a delete of vl3");
      expect(w.items.map((r) => [r.networkService!.name, r.deleted])).toEqual([
        ["vl3", false],
        ["vl3", false],
        ["vl3", true],
      ]);
      expect(registry.calls.nsRegister).toBe(3);
    } finally {
      ns.close();
    }
  });

  it("restart keeps the address, loses every entry and breaks watches", async () => {
    await register(nse("a"));
    const w = watch({});
    await waitFor(() => w.items.length === 1, "the current entry");
    const url = registry.url;
    await registry.restart();
    expect(registry.url).toBe(url);
    await waitFor(() => w.errors.length === 1, "the watch to break");
    expect(registry.entries()).toEqual([]);
    await register(nse("b"));
    expect(await find({})).toEqual(["b"]);
  });
});
