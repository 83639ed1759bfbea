// registerEndpoint against the sandbox registry on a real socket: registration, refresh, recovery.
import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { NetworkServiceEndpointRegistryClient } from "../../../src/grpc/gen/registry/registry.js";
import { silentLogger } from "../../../src/log.js";
import { registerEndpoint } from "../../../src/registry/client.js";
import { PEER_LABEL } from "../../../src/registry/labels.js";
import type { RegistrationHandle } from "../../../src/registry/register.js";
import {
  type RegistryOptions,
  type SandboxRegistry,
  startRegistry,
} from "../../../src/sandbox/registry-server.js";
import { unary } from "../../../src/util/grpc.js";
import { waitFor } from "./helpers.js";

const log = silentLogger();
const backoff = { initialMs: 20, maxMs: 200 };
const nse = {
  name: "nse-a",
  serviceNames: ["vl3", "vl3-b"],
  labels: { app: "web" },
  url: "tcp://127.0.0.1:5003",
};

describe("registerEndpoint", () => {
  const registries: SandboxRegistry[] = [];
  const handles: RegistrationHandle[] = [];
  const registry = async (o: RegistryOptions = {}) => {
    const r = await startRegistry({ sweepMs: 25, ...o });
    registries.push(r);
    return r;
  };
  const register = (target: string, expiryMs: number, registerService = false) => {
    const h = registerEndpoint({ target, nse, expiryMs, registerService, log, backoff, timeoutMs: 1000 });
    handles.push(h);
    return h;
  };
  const held = (r: SandboxRegistry) => r.entries().some((e) => e.name === nse.name);

  afterEach(async () => {
    await Promise.all(handles.splice(0).map((h) => h.stop()));
    await Promise.all(registries.splice(0).map((r) => r.stop()));
  });

  it("registers the endpoint with PEER_LABEL per service, and the services when asked", async () => {
    const r = await registry();
    const h = register(r.url, 60_000, true);
    const changes: boolean[] = [];
    h.on("change", (v) => changes.push(v));
    await h.whenRegistered();
    expect(h.registered).toBe(true);
    expect(changes).toEqual([true]);
    const [entry] = r.entries();
    expect(entry).toMatchObject({ name: "nse-a", networkServiceNames: ["vl3", "vl3-b"], url: nse.url });
    for (const s of ["vl3", "vl3-b"]) {
      expect(entry!.networkServiceLabels[s]!.labels).toEqual({ app: "web", [PEER_LABEL]: "true" });
    }
    expect(r.services().map((s) => [s.name, s.payload])).toEqual([
      ["vl3", "IP"],
      ["vl3-b", "IP"],
    ]);
    expect(h.current?.initialRegistrationTime).toBeInstanceOf(Date);
  });

  it("refreshes at about 2/3 of the granted expiration and so stays registered", async () => {
    // The registry grants 600 ms whatever is asked: the refresh must follow the grant, not the ask.
    const r = await registry({ maxExpiryMs: 600 });
    const h = register(r.url, 60_000);
    await h.whenRegistered();
    const first = r.entries()[0]!.initialRegistrationTime;
    const before = r.calls.nseRegister;
    await new Promise((resolve) => setTimeout(resolve, 1800)); // 3x the expiry
    expect(held(r)).toBe(true);
    expect(h.registered).toBe(true);
    // About 1800 / 400 = 4.5 refreshes; loose bounds for a noisy machine.
    expect(r.calls.nseRegister - before).toBeGreaterThanOrEqual(3);
    expect(r.calls.nseRegister - before).toBeLessThanOrEqual(9);
    expect(r.entries()[0]!.initialRegistrationTime).toEqual(first);
  });

  it("re-registers by itself after a registry restart loses every entry", async () => {
    const r = await registry();
    const h = register(r.url, 60_000, true);
    await h.whenRegistered();
    await r.restart({ downMs: 100 });
    expect(held(r)).toBe(false);
    // With a 60 s expiry the next refresh is 40 s away: the broken watch is what brings it back.
    await waitFor(() => held(r) && r.services().length === 2, "re-registration", 10_000);
    expect(h.registered).toBe(true);
  });

  it("re-registers when the registry drops the entry (someone else unregistered it)", async () => {
    const r = await registry();
    const h = register(r.url, 60_000);
    await h.whenRegistered();
    const other = new NetworkServiceEndpointRegistryClient(r.url, grpc.credentials.createInsecure());
    const calls = r.calls.nseRegister;
    await unary(other, other.unregister, r.entries()[0]!, 1000);
    other.close();
    await waitFor(() => r.calls.nseRegister > calls && held(r), "re-registration");
  });

  it("keeps retrying while the registry is unreachable, then registers", async () => {
    const r = await registry();
    const url = r.url;
    await r.stop();
    const h = register(url, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(h.registered).toBe(false);
    const back = await registry({ listenOn: url });
    await h.whenRegistered();
    expect(held(back)).toBe(true);
  });

  it("stop({ unregister: true }) removes the entry; stop() alone leaves it to expire", async () => {
    const r = await registry();
    const a = register(r.url, 60_000);
    await a.whenRegistered();
    await a.stop({ unregister: true });
    expect(a.registered).toBe(false);
    expect(r.entries()).toEqual([]);

    const b = register(r.url, 60_000);
    await b.whenRegistered();
    await b.stop();
    expect(held(r)).toBe(true);
    await expect(b.whenRegistered()).rejects.toThrow(/stopped/);
  });
});
