// The mesh outlives its servers: a registry that restarts (and forgets everyone) is re-populated by
// the endpoints themselves, and a prefix server that restarts gives every endpoint its prefix again.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  capturingLogger,
  eventually,
  expectClientsServed,
  expectDistinctPrefixes,
  expectFullMesh,
  type LogRecord,
  Mesh,
} from "./helpers.js";

const NAMES = ["nse-a", "nse-b", "nse-c", "nse-d"];

describe("restarts of the registry and the prefix server", () => {
  let mesh: Mesh;
  const { log, records } = capturingLogger();
  let prefixes: Map<string, string>;
  const prefixChanges: string[] = [];

  beforeAll(async () => {
    mesh = await Mesh.start({ log });
    await Promise.all(NAMES.map((n, i) => mesh.startEndpoint(n, i % 2)));
    for (let i = 1; i <= 4; i++) await mesh.sb.startClient(`nsc-${i}`, { node: i % 2 });
    await eventually(() => expectFullMesh(mesh), 15_000);
    prefixes = mesh.prefixes();
    for (const n of NAMES) {
      mesh.nse(n).endpoint.onSignal((s) => {
        if (s.type === "prefix") prefixChanges.push(`${n}: ${s.prefix}`);
      });
    }
  });

  afterAll(() => mesh?.stop());

  it("a registry that lost every entry is re-populated by the endpoints; links, prefixes and addresses stay", async () => {
    const addresses = mesh.sb.clients.map((c) => c.address);
    const downs: string[] = [];
    const unsubscribe = NAMES.map((n) =>
      mesh.nse(n).endpoint.onSignal((s) => {
        if (s.type === "peer" && !s.up) downs.push(`${n} lost ${s.name}: ${s.reason}`);
      }),
    );
    await mesh.sb.registry.restart({ downMs: 200 });
    expect(mesh.sb.registry.entries()).toEqual([]);

    await eventually(async () => {
      expect(
        mesh.sb.registry
          .entries()
          .map((e) => e.name)
          .sort(),
      ).toEqual(NAMES);
      await expectFullMesh(mesh);
    }, 10_000);
    expect(mesh.prefixes()).toEqual(prefixes);
    expect(mesh.sb.clients.map((c) => c.address)).toEqual(addresses);
    expect(prefixChanges).toEqual([]);
    // The peers were back before anyone was declared gone: no link went down.
    for (const u of unsubscribe) u();
    expect(downs).toEqual([]);
  });

  it("a restarted prefix server gives every endpoint its prefix back, and a newcomer a distinct one", async () => {
    const mark = records.length;
    await mesh.sb.prefixServer.restart({ downMs: 200 });
    // Every endpoint redials and asks again; each gets the prefix it holds.
    const allocated = () =>
      records
        .slice(mark)
        .filter((r: LogRecord) => r.msg === "prefix allocated")
        // Under mTLS a claim is kept under its caller's SPIFFE scope ("spiffe://.../ns/vl3#nse-a").
        .map((r) => `${String(r.who).replace(/^.*#/, "")} ${r.prefix}`);
    await eventually(() => {
      for (const n of NAMES) expect(allocated()).toContain(`${n} ${prefixes.get(n)}`);
    }, 10_000);
    expect(mesh.prefixes()).toEqual(prefixes);
    expect(prefixChanges).toEqual([]);

    await mesh.startEndpoint("nse-e", 1);
    expectDistinctPrefixes(mesh.prefixes().values());
    await eventually(() => expectFullMesh(mesh), 10_000);
    expectClientsServed(mesh);
  });
});
