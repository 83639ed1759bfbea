// A kill -9 of an endpoint's host process is noticed from the connections, not from the registry:
// registrations live 30 s here, so the registry still lists the dead endpoint while the others
// withdraw their routes to its prefix (the nsmgr's monitor of it broke: DOWN to the peers that dialled
// it; its own monitor call to its nsmgr was cut: the links it dialled are closed on its behalf) and
// its NSCs are served elsewhere. Restarted with the same identity, it gets the same prefix and the
// mesh is whole again.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EndpointHosts, startEndpointHosts } from "../../../src/sandbox/endpoint-hosts.js";
import type { HostedEndpoint } from "../../../src/sandbox/host-protocol.js";
import { type Sandbox, startSandbox } from "../../../src/sandbox/index.js";
import { eventually } from "./helpers.js";

const NAMES = ["nse-a", "nse-b", "nse-c", "nse-d"];
// nse-a dials it; it dials nse-c and nse-d (the peer rule): both sides of its links lose it.
const VICTIM = "nse-b";
const OTHERS = NAMES.filter((n) => n !== VICTIM);

function expectWhole(s: HostedEndpoint[], names: string[]): void {
  expect(s.map((e) => e.name).sort()).toEqual(names);
  for (const e of s) {
    expect(e.peersUp, `${e.name}: ${JSON.stringify(e.peerStates)}`).toBe(names.length - 1);
    for (const o of s) if (o !== e) expect(e.routes, `${e.name}'s routes`).toContain(o.prefix);
  }
}

describe("an endpoint's host process killed (kill -9) with 30 s registrations", () => {
  let sb: Sandbox;
  let hosts: EndpointHosts | undefined;

  beforeAll(async () => {
    sb = await startSandbox({
      nodes: 2,
      registryExpiryMs: 30_000,
      lifetimeMs: 60_000,
      backoff: { initialMs: 50, maxMs: 500 },
    });
    // One endpoint per process, so that a kill takes exactly one.
    hosts = await startEndpointHosts(NAMES.length);
    await Promise.all(NAMES.map((name, i) => hosts!.startEndpoint(name, sb.endpointEnv(name, { node: i }))));
    await eventually(async () => expectWhole(await hosts!.summary(), NAMES), 30_000);
    for (let i = 0; i < 8; i++) await sb.startClient(`nsc-${i}`, { node: i % 2 });
  }, 90_000);

  afterAll(async () => {
    await hosts?.close();
    await sb?.stop();
  });

  it("is dropped by every other endpoint while the registry still lists it; its NSCs are served elsewhere", async () => {
    const prefix = (await hosts!.summary()).find((e) => e.name === VICTIM)!.prefix!;
    const served = sb.clients.filter((c) => c.endpoint === VICTIM);
    await hosts!.kill(VICTIM);

    await eventually(async () => {
      const s = await hosts!.summary();
      expect(s.map((e) => e.name).sort()).toEqual(OTHERS);
      for (const e of s) expect(e.routes, `${e.name}'s routes`).not.toContain(prefix);
      for (const c of served) expect(c.endpoint, c.name).not.toBe(VICTIM);
    }, 15_000);
    // Nothing above came from the registry: its entry would live for up to 30 s more.
    expect(sb.registry.entries().map((e) => e.name)).toContain(VICTIM);
    for (const c of served) expect(c.heals, `${c.name} noticed`).toBeGreaterThan(0);
    // The others are still linked to each other.
    expectWhole(await hosts!.summary(), OTHERS);
  });

  it("restarted with the same identity: the same prefix, and a whole mesh again", async () => {
    const before = sb.registry.entries().find((e) => e.name === VICTIM);
    expect(before).toBeDefined();
    await hosts!.startEndpoint(VICTIM, sb.endpointEnv(VICTIM, { node: NAMES.indexOf(VICTIM) }));
    const s = await eventually(async () => {
      const all = await hosts!.summary();
      expectWhole(all, NAMES);
      return all;
    }, 30_000);
    expect(new Set(s.map((e) => e.prefix)).size).toBe(NAMES.length);
  });
});
