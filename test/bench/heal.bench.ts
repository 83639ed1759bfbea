// Healing after a crash: N endpoints, each in a host process of its own, and NSCs in this process. Each
// round kill -9s one endpoint's process and times, from the kill, (1) until every other endpoint has
// withdrawn the routes to its prefix, (2) until each of its NSCs is served again, (3) until the mesh is
// whole again; once with the endpoint left dead (its NSCs served elsewhere, the others linked to each
// other) and once restarted at once with the same identity and addresses (whole: with it again).
// Registrations live a minute (NSM's default), so the registry explains none of it: what notices the
// crash is the connections (docs/mesh.md, "How fast a dead peer is noticed").
// The baseline, in the same run doing the same work: the same endpoint stopped gracefully (it closes
// everything and unregisters, so nobody has to notice anything). The three kinds of round rotate, the
// first one changing every round; after each, the victim runs again and the full mesh is awaited,
// untimed. Times are read by polling the hosts every 10 ms (the resolution).
// Run: npm run bench:heal [-- --rounds 5 --n 6 --clients 12]
import { setTimeout as sleep } from "node:timers/promises";
import { type EndpointHosts, startEndpointHosts } from "../../src/sandbox/endpoint-hosts.js";
import type { HostedEndpoint } from "../../src/sandbox/host-protocol.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { median, setting, spread } from "./request-rounds.js";

const SANDBOX = {
  nodes: 2,
  registryExpiryMs: setting("HEAL_REGISTRY_EXPIRY_MS", 60_000, 600_000),
  lifetimeMs: 60_000,
  backoff: { initialMs: 50, maxMs: 500 },
};
const TARGET_WITHDRAWN_S = 1;
const TARGET_WHOLE_S = 2;
const LIMIT_MS = 120_000;
const POLL_MS = 10;

type Kind = "kill" | "restart" | "graceful";
const KINDS: Kind[] = ["kill", "restart", "graceful"];
const LABEL: Record<Kind, string> = {
  kill: "kill -9",
  restart: "kill -9, restarted",
  graceful: "graceful stop (baseline)",
};

function option(name: string, fallback: number, min: number, max: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = Number(i >= 0 ? process.argv[i + 1] : fallback);
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`--${name}: ${min}..${max}, got ${v}`);
  return v;
}

interface Times {
  /** Undefined when the others relinked to a restarted endpoint before all had withdrawn (not seen). */
  withdrawn?: number;
  served: number;
  whole: number;
  /** After a restart: when its new process served again (the host's boot is not healing). */
  back?: number;
  /** NSCs served again by the same endpoint with the same address (a restart in their restore window). */
  kept: number;
  /** Whether the registry still listed the victim when the mesh was whole (it must, after a kill). */
  listed: boolean;
}

const names = (n: number) => Array.from({ length: n }, (_, i) => `nse-${i}`);

/** Polls until `done()` holds; seconds since `t0`. */
async function until(t0: number, done: () => Promise<boolean>): Promise<number> {
  for (;;) {
    if (await done()) return (performance.now() - t0) / 1000;
    if (performance.now() - t0 > LIMIT_MS) throw new Error(`not healed within ${LIMIT_MS / 1000} s`);
    await sleep(POLL_MS);
  }
}

/** Each of `live` has every other as an up peer and a route to its prefix (peers of the dead may linger). */
function linked(s: HostedEndpoint[], live: string[]): boolean {
  const of = s.filter((e) => live.includes(e.name));
  if (of.length !== live.length) return false;
  return of.every((e) =>
    of.every((o) => o === e || (e.peerStates[o.name]?.startsWith("up") && e.routes.includes(o.prefix!))),
  );
}

async function heal(
  sb: Sandbox,
  hosts: EndpointHosts,
  all: string[],
  victim: string,
  kind: Kind,
): Promise<Times> {
  const prefix = (await hosts.summary()).find((e) => e.name === victim)!.prefix!;
  const served = sb.clients.filter((c) => c.endpoint === victim);
  if (served.length === 0) throw new Error(`${victim} serves no NSC: nothing to time`);
  const address = new Map(served.map((c) => [c, c.address]));
  const heals = new Map(served.map((c) => [c, c.heals]));
  const live = kind === "restart" ? all : all.filter((n) => n !== victim);
  const t0 = performance.now();
  let started = kind !== "restart";
  let back: number | undefined;
  if (kind === "graceful")
    void hosts
      .stopEndpoint(victim, { graceful: true })
      .catch((err) => console.error(`stopping ${victim}:`, err));
  else await hosts.kill(victim);
  if (kind === "restart")
    void hosts.startEndpoint(victim, sb.endpointEnv(victim, { node: all.indexOf(victim) })).then(
      () => {
        started = true;
        back = (performance.now() - t0) / 1000;
      },
      (err) => console.error(`restarting ${victim}:`, err),
    );
  const stamp = () => (performance.now() - t0) / 1000;
  const t: Partial<Times> = {};
  let told = false;
  const whole = await until(t0, async () => {
    // A restarted endpoint's host is asked only once it runs (a booting host answers late).
    const s = await hosts.summary(started ? {} : { skip: victim });
    const others = s.filter((e) => e.name !== victim);
    if (t.withdrawn === undefined && others.every((e) => !e.routes.includes(prefix))) t.withdrawn = stamp();
    if (t.withdrawn === undefined && !told && stamp() > TARGET_WITHDRAWN_S) {
      told = true; // Late: say who still routes to it, and how it sees the victim.
      const still = others.filter((e) => e.routes.includes(prefix));
      console.log(
        `  still routed after ${TARGET_WITHDRAWN_S} s by ${still.map((e) => `${e.name} (${e.peerStates[victim]})`).join(", ")}`,
      );
    }
    const again = served.every((c) =>
      kind === "restart"
        ? c.heals > heals.get(c)! && !c.isHealing && c.endpoint !== undefined
        : c.endpoint !== victim && c.endpoint !== undefined,
    );
    if (t.served === undefined && again) t.served = stamp();
    if (kind !== "restart" && t.withdrawn === undefined) return false;
    return t.served !== undefined && started && linked(s, live);
  });
  const kept = served.filter((c) => c.endpoint === victim && c.address === address.get(c)).length;
  const listed = sb.registry.entries().some((e) => e.name === victim);
  return { withdrawn: t.withdrawn, served: t.served!, whole, back, kept, listed };
}

/** The victim running again under its own name, and the full mesh (untimed). */
async function restore(sb: Sandbox, hosts: EndpointHosts, all: string[], victim: string, kind: Kind) {
  if (kind !== "restart")
    await hosts.startEndpoint(victim, sb.endpointEnv(victim, { node: all.indexOf(victim) }));
  await until(performance.now(), async () => linked(await hosts.summary(), all));
  await until(performance.now(), async () =>
    sb.clients.every((c) => !c.isHealing && c.endpoint !== undefined),
  );
}

const fmt = (v: number[]) => (v.length ? `${spread(v, 3)} s` : "not seen");

async function main(): Promise<number> {
  const rounds = option("rounds", 5, 5, 20);
  const n = option("n", 6, 3, 20);
  const clientCount = option("clients", 12, n, 100);
  const all = names(n);
  console.log(
    `healing after kill -9 of one endpoint's process: ${n} endpoints in host processes, ${clientCount} NSCs`,
  );
  console.log(
    `registrations ${SANDBOX.registryExpiryMs / 1000} s, links and NSC connections ${SANDBOX.lifetimeMs / 1000} s; baseline: the same endpoint stopped gracefully`,
  );
  const sb = await startSandbox(SANDBOX);
  const hosts = await startEndpointHosts(n);
  try {
    await Promise.all(all.map((name, i) => hosts.startEndpoint(name, sb.endpointEnv(name, { node: i }))));
    await until(performance.now(), async () => linked(await hosts.summary(), all));
    for (let i = 0; i < clientCount; i++) await sb.startClient(`nsc-${i}`, { node: i % SANDBOX.nodes });
    const times: Record<Kind, Times[]> = { kill: [], restart: [], graceful: [] };
    const load = (name: string) => sb.clients.filter((c) => c.endpoint === name).length;
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < KINDS.length; k++) {
        const kind = KINDS[(r + k) % KINDS.length]!;
        // The victim: whichever endpoint serves the most NSCs now (they move as others go).
        const victim = [...all].sort((a, b) => load(b) - load(a))[0]!;
        const count = load(victim);
        const t = await heal(sb, hosts, all, victim, kind);
        times[kind].push(t);
        console.log(
          `round ${r + 1} ${LABEL[kind].padEnd(24)} ${victim} (${count} NSCs): routes withdrawn ${t.withdrawn?.toFixed(3) ?? "-"} s, NSCs served ${t.served.toFixed(3)} s (${t.kept} kept their address), ${t.back === undefined ? "" : `back ${t.back.toFixed(3)} s, `}mesh whole ${t.whole.toFixed(3)} s; registry lists it: ${t.listed}`,
        );
        await restore(sb, hosts, all, victim, kind);
      }
    }
    const pick = (kind: Kind, k: "withdrawn" | "served" | "whole") =>
      times[kind].flatMap((t) => (t[k] === undefined ? [] : [t[k]]));
    for (const kind of KINDS) {
      console.log(
        `${LABEL[kind].padEnd(24)} withdrawn ${fmt(pick(kind, "withdrawn"))}; served ${fmt(pick(kind, "served"))}; whole ${fmt(pick(kind, "whole"))}`,
      );
    }
    const ratio = times.kill.map((t, i) => t.whole / Math.max(times.graceful[i]!.whole, 0.001));
    console.log(`ratio kill -9 / graceful, mesh whole: ${median(ratio).toFixed(1)} (${spread(ratio, 1)})`);
    // A restart's whole mesh waits for its process to boot (seconds here, a pod's start in a cluster).
    const afterBack = times.restart.map((t) => t.whole - t.back!);
    console.log(
      `kill -9, restarted: back after ${fmt(times.restart.map((t) => t.back!))}; mesh whole ${fmt(afterBack)} after it was back (target < ${TARGET_WHOLE_S} s) ${Math.max(...afterBack) < TARGET_WHOLE_S ? "met" : "NOT met"}`,
    );
    const unlisted = times.kill.filter((t) => !t.listed).length;
    console.log(
      `kill -9 rounds healed while the registry still listed the victim: ${rounds - unlisted} of ${rounds}`,
    );
    const worstWithdrawn = Math.max(...pick("kill", "withdrawn"), ...pick("restart", "withdrawn"));
    console.log(
      `routes withdrawn after kill -9: worst ${worstWithdrawn.toFixed(3)} s (target < ${TARGET_WITHDRAWN_S} s) ${worstWithdrawn < TARGET_WITHDRAWN_S ? "met" : "NOT met"}`,
    );
    // Whole means withdrawn and served too: it is never earlier than either.
    const worst = Math.max(...pick("kill", "whole"));
    console.log(
      `result: worst time to a whole mesh after kill -9 = ${worst.toFixed(3)} s (target < ${TARGET_WHOLE_S} s) ${worst < TARGET_WHOLE_S ? "met" : "NOT met"}`,
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
