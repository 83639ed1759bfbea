// Five vl3-nse endpoints, started in a random order and partly at once, become a full mesh: one link
// per pair dialled by the side the peer rule names, routes to every prefix on both sides, and NSCs
// that reach every prefix through their own endpoint.
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  eventually,
  expectClientsServed,
  expectDistinctPrefixes,
  expectFullMesh,
  expectOneDialSidePerPair,
  Mesh,
  shuffled,
} from "./helpers.js";

const NAMES = ["nse-a", "nse-b", "nse-c", "nse-d", "nse-e"];

describe("a vL3 mesh of five endpoints", () => {
  let mesh: Mesh;
  const order = shuffled(NAMES);
  let doubleDial: unknown;

  beforeAll(async () => {
    mesh = await Mesh.start();
    // Watch the whole time, not only at the end: two dial sides for a pair must never exist.
    let started = false;
    const watching = (async () => {
      for (let i = 0; i < 2000 && !started; i++) {
        try {
          expectOneDialSidePerPair(mesh);
        } catch (err) {
          doubleDial ??= err;
        }
        await sleep(10);
      }
    })();
    // One alone, two at once, a client, then the last two at once and more clients.
    await mesh.startEndpoint(order[0]!, 0);
    await Promise.all([mesh.startEndpoint(order[1]!, 1), mesh.startEndpoint(order[2]!, 0)]);
    await mesh.sb.startClient("nsc-1", { node: 0 });
    await Promise.all([mesh.startEndpoint(order[3]!, 1), mesh.startEndpoint(order[4]!, 0)]);
    for (let i = 2; i <= 6; i++) await mesh.sb.startClient(`nsc-${i}`, { node: 1 });
    started = true;
    await watching;
  });

  afterAll(() => mesh?.stop());

  it(`converges to a full mesh (start order ${order.join(", ")})`, async () => {
    await eventually(() => expectFullMesh(mesh), 15_000);
    expect(doubleDial).toBeUndefined();
    expectDistinctPrefixes(mesh.prefixes().values());
  });

  it("serves every client from its endpoint's prefix, with routes to every other prefix", async () => {
    await eventually(() => expectClientsServed(mesh), 10_000);
    const endpoints = new Set(mesh.sb.clients.map((c) => c.endpoint));
    // The nsmgrs spread clients over the endpoints: several prefixes are in use at once.
    expect(endpoints.size).toBeGreaterThan(1);
    const prefixOf = mesh.prefixes();
    for (const a of mesh.sb.clients) {
      for (const b of mesh.sb.clients) {
        if (a.endpoint !== b.endpoint) expect(prefixOf.get(a.endpoint!)).not.toBe(prefixOf.get(b.endpoint!));
      }
    }
  });

  it("keeps every link up, with the same connection, past the links' lifetime (the dialling side refreshes)", async () => {
    await eventually(() => expectFullMesh(mesh), 10_000);
    const ids = () =>
      mesh
        .names()
        .flatMap((n) => mesh.servedLinks(n).map((c) => c.id))
        .sort();
    const before = ids();
    const downs: string[] = [];
    const unsubscribe = mesh.names().map((n) =>
      mesh.nse(n).endpoint.onSignal((s) => {
        if (s.type === "peer" && !s.up) downs.push(`${n} lost ${s.name}: ${s.reason}`);
      }),
    );
    // Longer than the 3 s lifetime: a link nobody refreshed would have been closed by now.
    await sleep(4000);
    for (const u of unsubscribe) u();
    expect(downs).toEqual([]);
    await expectFullMesh(mesh);
    expect(ids()).toEqual(before);
  });
});
