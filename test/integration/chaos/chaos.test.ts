// Chaos at scale (issue 10): 20 endpoints, each in a host process of its own, and 100 NSCs through
// the sandbox's nsmgrs; then a seeded sequence of kill -9s and restarts of endpoints, a registry
// restart and a prefix-server restart, all secured as the demo is (SPIFFE mTLS from the sandbox's
// Workload API, path tokens on every hop). Afterwards the mesh must be whole and nothing duplicated or leaked. The seed is
// printed; CHAOS_SEED=<seed> replays a failing one (CI uses the fixed default).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCidr } from "../../../src/ipam/cidr.js";
import { type EndpointHosts, startEndpointHosts } from "../../../src/sandbox/endpoint-hosts.js";
import type { HostedEndpoint } from "../../../src/sandbox/host-protocol.js";
import { type Sandbox, startSandbox } from "../../../src/sandbox/index.js";
import { eventually, expectDistinctPrefixes } from "../mesh/helpers.js";
import { plan, type Step, survivors } from "./plan.js";

const SEED = Number(process.env.CHAOS_SEED ?? 20261206);
const ENDPOINTS = 20;
const CLIENTS = 100;
const NODES = 3;
const NAMES = Array.from({ length: ENDPOINTS }, (_, i) => `nse-${String(i).padStart(2, "0")}`);
/** The chaos itself is bounded to two minutes, whatever the seed draws. */
const CHAOS_BUDGET_MS = 120_000;
const STEPS = plan(SEED, { names: NAMES, steps: 12, minAlive: 12, gapMs: [200, 3000] });

const up = (e: HostedEndpoint) => `${e.name} ${e.peersUp}/${e.peers}`;

describe(`chaos at scale under SPIFFE mTLS and path tokens: ${ENDPOINTS} endpoints in host processes, ${CLIENTS} NSCs (seed ${SEED})`, () => {
  let sb: Sandbox;
  let hosts: EndpointHosts;
  const done: Step[] = [];

  beforeAll(async () => {
    if (!Number.isInteger(SEED)) throw new Error(`CHAOS_SEED: an integer, got ${process.env.CHAOS_SEED}`);
    console.log(`chaos seed ${SEED} (replay: CHAOS_SEED=${SEED} npx vitest run test/integration/chaos)`);
    // Registrations of 10 s: a killed endpoint's links break at once (its connections), and the
    // registry drops one killed for good within seconds. At 3 s, 20 endpoints refresh 10 times a
    // second, each refresh fanned out to every watcher and, secured, through TLS (and path tokens) at
    // the nsmgr and the registry in this one process; on a loaded 2-core machine refreshes came back
    // late, live entries expired, every peer relinked, and that work made the next refresh later
    // still: the secured mesh did not converge. 20 s links and NSC connections, so that refreshes of
    // 190 links and 100 NSCs do not swamp two loaded cores either.
    sb = await startSandbox({
      nodes: NODES,
      registryExpiryMs: 10_000,
      lifetimeMs: 20_000,
      backoff: { initialMs: 50, maxMs: 500 },
      // Secured as the sandbox is by default and the demo runs: every host reads its endpoint's SVID
      // from the development Workload API, every channel is mTLS and every hop signs path tokens.
    });
    hosts = await startEndpointHosts(ENDPOINTS);
    await Promise.all(NAMES.map((n, i) => hosts.startEndpoint(n, sb.endpointEnv(n, { node: i % NODES }))));
    await eventually(async () => {
      expect((await hosts.summary()).map(up).sort()).toEqual(NAMES.map((n) => `${n} 19/19`));
    }, 120_000);
    for (let i = 0; i < CLIENTS; i += 10) {
      const batch = Array.from({ length: 10 }, (_, j) => i + j);
      await Promise.all(batch.map((k) => sb.startClient(`nsc-${k}`, { node: k % NODES })));
    }
  }, 300_000);

  afterAll(async () => {
    await hosts?.close();
    await sb?.stop();
  }, 60_000);

  it("runs the seeded kills and restarts within two minutes", async () => {
    const start = Date.now();
    for (const step of STEPS) {
      // The schedule's gaps are part of the chaos (things happen while others heal), not a wait for
      // a condition: each step starts at its planned offset, or at once if the previous one ran late.
      const wait = start + step.at - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (Date.now() - start > CHAOS_BUDGET_MS) {
        // The two-minute bound wins over the schedule; what was cut is said, and the end state is
        // judged on the steps that ran (survivors(done)).
        console.log(`chaos: budget spent, ${STEPS.length - done.length} of ${STEPS.length} steps not run`);
        break;
      }
      console.log(`chaos +${Date.now() - start} ms: ${step.kind}${"name" in step ? ` ${step.name}` : ""}`);
      if (step.kind === "kill") expect(await hosts.kill(step.name)).toEqual([step.name]);
      else if (step.kind === "restart")
        await hosts.startEndpoint(
          step.name,
          sb.endpointEnv(step.name, { node: NAMES.indexOf(step.name) % NODES }),
        );
      else if (step.kind === "registry") await sb.registry.restart({ downMs: 200 });
      else await sb.prefixServer.restart({ downMs: 200 });
      done.push(step);
    }
    expect(done.length, "chaos steps run").toBeGreaterThan(0);
  }, 180_000);

  it("ends whole: every live endpoint linked to every other, every NSC served, nothing duplicated or leaked", async () => {
    const live = survivors(NAMES, done);
    let last: HostedEndpoint[] = [];
    const dead = NAMES.filter((n) => !live.includes(n));
    console.log(
      `chaos: ${done.length} steps; alive ${live.length}, killed for good: ${dead.join(" ") || "none"}`,
    );
    await eventually(async () => {
      const all = await hosts.summary();
      last = all;
      const byName = new Map(all.map((e) => [e.name, e]));
      expect(all.map(up).sort()).toEqual(live.map((n) => `${n} ${live.length - 1}/${live.length - 1}`));
      expect(all.reduce((sum, e) => sum + e.servedLinks, 0)).toBe((live.length * (live.length - 1)) / 2);
      const prefixes = new Map(all.map((e) => [e.name, e.prefix!]));
      expectDistinctPrefixes(prefixes.values());
      // Routes to every live peer's prefix, and none left to a dead one's.
      for (const e of all) {
        for (const [n, p] of prefixes) if (n !== e.name) expect(e.routes, `${e.name}'s routes`).toContain(p);
      }
      const addresses = new Map<string, string>();
      for (const c of sb.clients) {
        expect(live, `${c.name}'s endpoint`).toContain(c.endpoint);
        const own = parseCidr(prefixes.get(c.endpoint!)!);
        expect(own.containsCidr(parseCidr(c.address!)), `${c.name} ${c.address} in ${own}`).toBe(true);
        expect(addresses.get(c.address!), `${c.address} held twice`).toBeUndefined();
        addresses.set(c.address!, c.name);
        const routes = c.routes.map((r) => parseCidr(r));
        for (const [n, p] of prefixes)
          expect(
            routes.some((r) => r.containsCidr(parseCidr(p))),
            `${c.name} reaches ${n} (${p})`,
          ).toBe(true);
      }
      // No leak: each endpoint holds exactly its live clients' addresses, and its IPAM counts only them.
      for (const n of live) {
        const theirs = sb.clients.filter((c) => c.endpoint === n).map((c) => c.address!);
        expect(byName.get(n)!.clientAddresses.sort(), `${n}'s client addresses`).toEqual(theirs.sort());
        expect(byName.get(n)!.addressesUsed, `${n}'s IPAM usage`).toBe(theirs.length);
      }
    }, 120_000).catch((err) => {
      // Which links, registrations and clients are missing: what a failing seed needs to be understood.
      const registered = sb.registry
        .entries()
        .map((e) => e.name)
        .sort();
      console.log(`registered: ${registered.join(" ")}`);
      for (const e of last) {
        const missing = live.filter((n) => n !== e.name && !e.peerStates[n]);
        const notUp = Object.entries(e.peerStates).filter(([, s]) => !s.startsWith("up"));
        console.log(
          `${e.name} ${e.prefix}: missing ${missing.join(" ") || "-"}; not up ${notUp.map(([n, s]) => `${n}=${s}`).join(" ") || "-"}; clients ${e.clients}, used ${e.addressesUsed}`,
        );
      }
      const unserved = sb.clients
        .filter((c) => !live.includes(c.endpoint!))
        .map((c) => `${c.name}@${c.endpoint}`);
      console.log(`NSCs not on a live endpoint: ${unserved.join(" ") || "none"}`);
      throw err;
    });
  }, 150_000);
});
