// watchPeers against the sandbox registry on a real socket: joins, leaves, expiry, reconnection.
import * as grpc from "@grpc/grpc-js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  NetworkServiceEndpoint,
  NetworkServiceEndpointRegistryClient,
} from "../../../src/grpc/gen/registry/registry.js";
import { silentLogger } from "../../../src/log.js";
import { type PeerEvent, type PeerWatch, watchPeers } from "../../../src/registry/client.js";
import { PEER_LABEL } from "../../../src/registry/labels.js";
import { type SandboxRegistry, startRegistry } from "../../../src/sandbox/registry-server.js";
import { unary } from "../../../src/util/grpc.js";
import { waitFor } from "./helpers.js";

const log = silentLogger();
const backoff = { initialMs: 20, maxMs: 200 };

const entry = (
  name: string,
  o: { peer?: string; service?: string; url?: string; expiryMs?: number } = {},
) => {
  const service = o.service ?? "vl3";
  const labels: Record<string, string> =
    o.peer === undefined ? { [PEER_LABEL]: "true" } : { [PEER_LABEL]: o.peer };
  return NetworkServiceEndpoint.fromPartial({
    name,
    networkServiceNames: [service],
    networkServiceLabels: { [service]: { labels } },
    url: o.url ?? `tcp://127.0.0.1:50${name.length}`,
    expirationTime: new Date(Date.now() + (o.expiryMs ?? 60_000)),
  });
};
const brief = (e: PeerEvent) => (e.type === "up" ? `up ${e.nse.name}` : `down ${e.name} ${e.reason}`);

describe("watchPeers", () => {
  let registry: SandboxRegistry;
  let client: NetworkServiceEndpointRegistryClient;
  const watches: PeerWatch[] = [];

  const watch = (o: { goneGraceMs?: number; backoff?: typeof backoff } = {}) => {
    const w = watchPeers({ target: registry.url, service: "vl3", self: "self", log, backoff, ...o });
    const events: string[] = [];
    w.on("peer", (e) => events.push(brief(e)));
    watches.push(w);
    return { w, events };
  };
  const register = (e: NetworkServiceEndpoint) => unary(client, client.register, e, 2000);
  const unregister = (name: string) => unary(client, client.unregister, entry(name), 2000);
  const reconnectClient = () => {
    client.close();
    client = new NetworkServiceEndpointRegistryClient(registry.url, grpc.credentials.createInsecure());
  };

  beforeEach(async () => {
    registry = await startRegistry({ sweepMs: 25 });
    client = new NetworkServiceEndpointRegistryClient(registry.url, grpc.credentials.createInsecure());
  });
  afterEach(async () => {
    for (const w of watches.splice(0)) w.stop();
    client.close();
    await registry.stop();
  });

  it("announces peers that join, leave and expire; never itself or a non-peer", async () => {
    await register(entry("nse-b"));
    await register(entry("self"));
    await register(entry("no-label", { peer: "false" }));
    await register(entry("elsewhere", { service: "other" }));
    const { w, events } = watch();
    await w.whenSynced();
    expect(events).toEqual(["up nse-b"]);

    await register(entry("nse-c"));
    await register(entry("nse-d", { expiryMs: 150 }));
    await unregister("nse-b");
    await waitFor(() => events.length === 5, "join, leave and expiry");
    expect(events).toEqual(["up nse-b", "up nse-c", "up nse-d", "down nse-b deleted", "down nse-d expired"]);
    expect([...w.peers().keys()]).toEqual(["nse-c"]);
    expect(w.isPeer("nse-c")).toBe(true);
    expect(w.isPeer("self")).toBe(false);
    expect(w.isPeer("no-label")).toBe(false);
  });

  it("shown(): true at once for a known peer, true when a peer registers while asked, false after the wait", async () => {
    await register(entry("nse-b"));
    const { w } = watch();
    await w.whenSynced();
    expect(await w.shown("nse-b", 0)).toBe(true);
    const later = w.shown("nse-c", 10_000);
    await register(entry("nse-c"));
    expect(await later).toBe(true);
    // Nobody of that name registers: the answer is no once the wait is over (a short one, on purpose).
    expect(await w.shown("nse-x", 50)).toBe(false);
    const pending = w.shown("nse-y", 10_000);
    w.stop();
    expect(await pending).toBe(false);
  });

  it("re-announces a peer only when its url or labels change; a peer that drops the label goes down", async () => {
    const { w, events } = watch();
    await w.whenSynced();
    await register(entry("nse-b"));
    await register(entry("nse-b")); // a refresh
    await register(entry("nse-b", { url: "tcp://127.0.0.1:6000" }));
    await register(entry("nse-b", { peer: "false" }));
    await waitFor(() => events.length === 3, "up, changed, down");
    expect(events).toEqual(["up nse-b", "up nse-b", "down nse-b deleted"]);
  });

  it("reconnects after a registry restart and reconciles: vanished peers go down, unchanged ones stay quiet", async () => {
    await register(entry("nse-b"));
    await register(entry("nse-c"));
    await register(entry("nse-d"));
    // A slow first retry, so that the re-registrations below land before the watcher is back.
    const { w, events } = watch({ backoff: { initialMs: 600, maxMs: 1000 } });
    await w.whenSynced();
    expect(events.sort()).toEqual(["up nse-b", "up nse-c", "up nse-d"]);
    events.length = 0;
    let disconnects = 0;
    w.on("disconnected", () => disconnects++);

    await registry.restart({ downMs: 50 });
    reconnectClient();
    // Before the watcher is back, b re-registers unchanged and d with a new url; c never returns.
    await register(entry("nse-b"));
    await register(entry("nse-d", { url: "tcp://127.0.0.1:7000" }));
    await waitFor(() => events.length === 2, "c down and d changed", 10_000);
    expect(disconnects).toBeGreaterThanOrEqual(1);
    expect(events.sort()).toEqual(["down nse-c gone", "up nse-d"]);
    expect([...w.peers().keys()].sort()).toEqual(["nse-b", "nse-d"]);

    // And the new stream carries later changes.
    await register(entry("nse-e"));
    await waitFor(() => events.includes("up nse-e"), "a join after the reconnect");
  });

  it("with a grace period, a peer that re-registers in time never goes down", async () => {
    await register(entry("nse-b"));
    await register(entry("nse-c"));
    const { w, events } = watch({ goneGraceMs: 1500 });
    await w.whenSynced();
    events.length = 0;
    await registry.restart();
    reconnectClient();
    await register(entry("nse-b"));
    // c is missing from the listing after the reconnect: kept for the grace period, then gone.
    await waitFor(() => events.length === 1, "c to go after the grace period", 10_000);
    expect(events).toEqual(["down nse-c gone"]);
    expect(w.isPeer("nse-b")).toBe(true);
  });
});
