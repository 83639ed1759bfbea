// Healing after a crash: N endpoints, each in a host process of its own, and NSCs in this process;
// each round kill -9s one endpoint's process and times, from the kill, (1) until every other endpoint
// has withdrawn the routes to its prefix, (2) until each of its NSCs is served again (elsewhere),
// (3) until the mesh is whole again (the others fully linked, no actor or route for it left, every
// NSC served); and, to explain them, until the registry no longer lists it.
// The baseline, measured in the same run doing the same work: the same endpoint stopped gracefully
// (it unregisters and closes everything, so nobody has to notice anything). Rounds of both alternate,
// the first of each pair alternating; after each, the victim is restarted under the same name and the
// full mesh awaited, untimed. Times are read by polling the hosts every 10 ms (the resolution).
// Run: npm run bench:heal [-- --rounds 5 --n 6 --clients 12]
import { setTimeout as sleep } from "node:timers/promises";
import { type EndpointHosts, startEndpointHosts } from "../../src/sandbox/endpoint-hosts.js";
import type { HostedEndpoint } from "../../src/sandbox/host-protocol.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { median, setting, spread } from "./request-rounds.js";

/**
 * Registrations of 1 s (refreshed every 2/3 s): the registry is what tells the endpoints that the
 * crashed one is gone, so its expiry bounds every figure here (docs/mesh.md, "How fast a dead peer is
 * noticed"). Links and NSC connections of a minute: healing must not wait for a refresh.
 */
const SANDBOX = {
  nodes: 2,
  registryExpiryMs: setting("HEAL_REGISTRY_EXPIRY_MS", 1000, 60_000),
  lifetimeMs: 60_000,
  backoff: { initialMs: 50, maxMs: 500 },
};
const TARGET_WITHDRAWN_S = 1;
const TARGET_WHOLE_S = 2;
const LIMIT_MS = 120_000;
const POLL_MS = 10;

function option(name: string, fallback: number, min: number, max: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = Number(i >= 0 ? process.argv[i + 1] : fallback);
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`--${name}: ${min}..${max}, got ${v}`);
  return v;
}

interface Times {
  /** The registry no longer lists it (what the others wait for; not a target, it explains them). */
  dropped: number;
  withdrawn: number;
  served: number;
  whole: number;
}

const names = (n: number) => Array.from({ length: n }, (_, i) => `nse-${i}`);

/** Polls until `done(summary)` holds; seconds since `t0`. */
async function until(
  hosts: EndpointHosts,
  t0: number,
  done: (s: HostedEndpoint[]) => boolean,
): Promise<number> {
  for (;;) {
    if (done(await hosts.summary())) return (performance.now() - t0) / 1000;
    if (performance.now() - t0 > LIMIT_MS) throw new Error(`not healed within ${LIMIT_MS / 1000} s`);
    await sleep(POLL_MS);
  }
}

/** Every live endpoint has every other as an up peer and a route to its prefix. */
function meshWhole(s: HostedEndpoint[], live: string[]): boolean {
  if (s.length !== live.length) return false;
  return s.every(
    (e) =>
      e.peers === live.length - 1 &&
      e.peersUp === live.length - 1 &&
      s.every((o) => o === e || e.routes.includes(o.prefix!)),
  );
}

async function heal(
  sb: Sandbox,
  hosts: EndpointHosts,
  all: string[],
  victim: string,
  kill: boolean,
): Promise<Times> {
  const before = await hosts.summary();
  const prefix = before.find((e) => e.name === victim)!.prefix!;
  const served = sb.clients.filter((c) => c.endpoint === victim);
  if (served.length === 0) throw new Error(`${victim} serves no NSC: nothing to time`);
  const live = all.filter((n) => n !== victim);
  const t0 = performance.now();
  if (kill) await hosts.kill(victim);
  else
    void hosts
      .stopEndpoint(victim, { graceful: true })
      .catch((err) => console.error(`stopping ${victim}:`, err));
  const times: Partial<Times> = {};
  const stamp = () => (performance.now() - t0) / 1000;
  const whole = await until(hosts, t0, (s) => {
    const others = s.filter((e) => e.name !== victim);
    if (times.dropped === undefined && !sb.registry.entries().some((e) => e.name === victim))
      times.dropped = stamp();
    if (times.withdrawn === undefined && others.every((e) => !e.routes.includes(prefix)))
      times.withdrawn = stamp();
    if (times.served === undefined && served.every((c) => c.endpoint !== victim && c.endpoint !== undefined))
      times.served = stamp();
    // Whole: no peer actor for it left anywhere either (meshWhole counts peers).
    return (
      times.dropped !== undefined &&
      times.withdrawn !== undefined &&
      times.served !== undefined &&
      meshWhole(others, live)
    );
  });
  return { dropped: times.dropped!, withdrawn: times.withdrawn!, served: times.served!, whole };
}

/** The victim back under its own name, and the full mesh again (untimed). */
async function restore(sb: Sandbox, hosts: EndpointHosts, all: string[], victim: string): Promise<void> {
  await hosts.startEndpoint(victim, sb.endpointEnv(victim, { node: all.indexOf(victim) }));
  await until(hosts, performance.now(), (s) => meshWhole(s, all));
}

/** "median (min-max) s": the worst is the max. */
const fmt = (v: number[]) => `${spread(v, 3)} s`;

async function main(): Promise<number> {
  const rounds = option("rounds", 5, 5, 20);
  const n = option("n", 6, 3, 20);
  const clientCount = option("clients", 12, n, 100);
  const all = names(n);
  console.log(
    `healing after kill -9 of one endpoint's process: ${n} endpoints in host processes, ${clientCount} NSCs`,
  );
  console.log(
    `registrations ${SANDBOX.registryExpiryMs} ms, links and NSC connections ${SANDBOX.lifetimeMs / 1000} s; baseline: the same endpoint stopped gracefully`,
  );
  const sb = await startSandbox(SANDBOX);
  const hosts = await startEndpointHosts(n);
  try {
    await Promise.all(all.map((name, i) => hosts.startEndpoint(name, sb.endpointEnv(name, { node: i }))));
    await until(hosts, performance.now(), (s) => meshWhole(s, all));
    for (let i = 0; i < clientCount; i++) await sb.startClient(`nsc-${i}`, { node: i % SANDBOX.nodes });
    const killed: Times[] = [];
    const graceful: Times[] = [];
    const load = (name: string) => sb.clients.filter((c) => c.endpoint === name).length;
    for (let r = 0; r < rounds; r++) {
      for (const kill of r % 2 === 0 ? [true, false] : [false, true]) {
        // The victim: whichever endpoint serves the most NSCs now (they move as others go).
        const victim = [...all].sort((a, b) => load(b) - load(a))[0]!;
        const count = load(victim);
        const t = await heal(sb, hosts, all, victim, kill);
        (kill ? killed : graceful).push(t);
        console.log(
          `round ${r + 1} ${kill ? "kill -9 " : "graceful"} ${victim} (${count} NSCs): unregistered ${t.dropped.toFixed(3)} s, routes withdrawn ${t.withdrawn.toFixed(3)} s, NSCs served ${t.served.toFixed(3)} s, mesh whole ${t.whole.toFixed(3)} s`,
        );
        await restore(sb, hosts, all, victim);
      }
    }
    const pick = (ts: Times[], k: keyof Times) => ts.map((t) => t[k]);
    for (const k of ["dropped", "withdrawn", "served", "whole"] as const) {
      const ratio = killed.map((t, i) => t[k] / Math.max(graceful[i]![k], 0.001));
      console.log(
        `${k.padEnd(9)} kill -9: ${fmt(pick(killed, k))}; graceful: ${fmt(pick(graceful, k))}; ratio ${median(ratio).toFixed(1)}x (${spread(ratio, 1)})`,
      );
    }
    const worstWithdrawn = Math.max(...pick(killed, "withdrawn"));
    console.log(
      `routes withdrawn: worst ${worstWithdrawn.toFixed(3)} s (target < ${TARGET_WITHDRAWN_S} s) ${worstWithdrawn < TARGET_WITHDRAWN_S ? "met" : "NOT met"}`,
    );
    // Whole means withdrawn and served too: it is never earlier than either.
    const worst = Math.max(...pick(killed, "whole"));
    console.log(
      `result: worst time to a whole mesh = ${worst.toFixed(3)} s (target < ${TARGET_WHOLE_S} s) ${worst < TARGET_WHOLE_S ? "met" : "NOT met"}`,
    );
    return 0;
  } finally {
    await hosts.close();
    await sb.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
