// Mesh convergence: N vl3-nse endpoints started at once in the sandbox (in-memory data plane) until
// every one has all N-1 peer links up, against a lower bound measured in the same run and the same
// process layout: N minimal NetworkService servers started and registered, then N·(N-1)/2 bare
// Requests (N diallers, each through its nsmgr), all in flight together as the mesh's are. Both clocks
// start before the servers start, so both include start-up and registration. A warm-up round of both
// comes first; then rounds of both at each N, the first of each round alternating; the headline is the
// median of mesh/bound over the rounds, with the spread.
// By default the endpoints (and the bound's servers and diallers) run in 2 endpoint host processes, one
// per core, as a cluster runs each endpoint in a process of its own; the registry, the nsmgrs and the
// prefix server stay in this one. --hosts 0: everything in this process.
// Run: npm run bench:mesh [-- --n 10,50,100 --hosts 2 --rounds 5]   (profile: npx tsx --cpu-prof test/bench/mesh.bench.ts --hosts 0)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "../../src/log.js";
import { registerEndpoint } from "../../src/registry/register.js";
import { dialAll, startBareEndpoint } from "../../src/sandbox/bare-endpoint.js";
import { type EndpointHosts, startEndpointHosts } from "../../src/sandbox/endpoint-hosts.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { median, spread } from "./request-rounds.js";

/** NSM's defaults (1 min registrations, 10 min tokens): refresh traffic is not what is measured. */
// Plain text: the bound's bare servers and diallers (endpoint hosts) have no identities yet, and both
// sides must do the same transport work.
const SANDBOX = { nodes: 3, registryExpiryMs: 60_000, lifetimeMs: 600_000, security: false as const };
/** The headline: at N=100 the mesh within this factor of its bound. */
const TARGET_N = 100;
const TARGET_RATIO = 2;
const LIMIT_MS = 120_000;

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return (
    (i >= 0 ? process.argv[i + 1] : process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1]) ??
    fallback
  );
}

function sizes(): number[] {
  const list = option("n", "10,50,100").split(",").map(Number);
  if (list.some((n) => !Number.isInteger(n) || n < 2 || n > 200))
    throw new Error(`--n: 2..200 each, got ${list}`);
  return list;
}

function roundCount(): number {
  const r = Number(option("rounds", "5"));
  if (!Number.isInteger(r) || r < 5 || r > 20) throw new Error(`--rounds: 5..20, got ${r}`);
  return r;
}

function hostCount(): number {
  const k = Number(option("hosts", "2"));
  if (!Number.isInteger(k) || k < 0 || k > 16) throw new Error(`--hosts: 0..16, got ${k}`);
  return k;
}

const names = (n: number) => Array.from({ length: n }, (_, i) => `nse-${String(i).padStart(3, "0")}`);
const seconds = (since: number) => (performance.now() - since) / 1000;

/**
 * A fresh sandbox, torn down whatever happens, with the endpoint hosts if there are any. The hosts, like
 * this process, live through the whole run: both are equally warm for each measurement.
 */
async function withLayout<T>(hosts: EndpointHosts | undefined, run: (sb: Sandbox) => Promise<T>): Promise<T> {
  const sb = await startSandbox({ ...SANDBOX, log: silentLogger() });
  try {
    return await run(sb);
  } finally {
    await hosts?.reset();
    await sb.stop();
  }
}

/** Resolves when `count` names have been reported meshed. */
function countdown(count: number): { meshed(name: string): void; done: Promise<void> } {
  const seen = new Set<string>();
  let resolve!: () => void;
  const done = new Promise<void>((r) => {
    resolve = r;
  });
  return {
    done,
    meshed: (name) => {
      seen.add(name);
      if (seen.size === count) resolve();
    },
  };
}

async function meshTime(n: number, hosts?: EndpointHosts): Promise<number> {
  return withLayout(hosts, async (sb) => {
    const all = countdown(n);
    const off = hosts?.onMeshed(all.meshed);
    const started = performance.now();
    await Promise.all(
      names(n).map(async (name, i) => {
        if (hosts) return hosts.startEndpoint(name, sb.endpointEnv(name, { node: i }), { peers: n - 1 });
        const nse = await sb.startEndpoint(name, { node: i });
        const up = new Set<string>();
        nse.endpoint.onSignal((s) => {
          if (s.type !== "peer") return;
          if (s.up) up.add(s.name);
          else up.delete(s.name);
          if (up.size === n - 1) all.meshed(name);
        });
      }),
    );
    await withLimit(all.done, `${n} endpoints did not form a full mesh`);
    const t = seconds(started);
    off?.();
    // The signals said so; the actor trees must agree.
    const trees = hosts
      ? await hosts.summary()
      : [...sb.endpoints.values()].map((e) => ({
          name: e.config.name,
          peersUp: e.endpoint.tree().children.filter((c) => c.kind === "peer" && c.state.startsWith("up"))
            .length,
        }));
    if (trees.length !== n) throw new Error(`${trees.length}/${n} endpoints report`);
    for (const e of trees)
      if (e.peersUp !== n - 1) throw new Error(`${e.name} has ${e.peersUp}/${n - 1} peers up`);
    return t;
  });
}

async function lowerBound(n: number, hosts?: EndpointHosts): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "vl3-bench-"));
  try {
    return await withLayout(hosts, async (sb) => {
      const all = names(n);
      const socket = (name: string) => join(dir, `${name}.sock`);
      const cleanup: Array<() => Promise<void>> = [];
      // The same start point as the mesh's clock: before the servers start and register.
      const started = performance.now();
      try {
        await Promise.all(
          all.map(async (name) => {
            if (hosts)
              return hosts.startBareEndpoint(name, {
                socket: socket(name),
                registry: sb.registry.url,
                service: sb.service,
              });
            const server = await startBareEndpoint(name, `unix://${socket(name)}`);
            const nse = { name, serviceNames: [sb.service], labels: {}, url: `unix://${socket(name)}` };
            const r = registerEndpoint({
              target: sb.registry.url,
              nse,
              expiryMs: 60_000,
              log: silentLogger(),
            });
            cleanup.push(async () => {
              await r.stop({ unregister: false });
              server.forceShutdown();
            });
            await r.whenRegistered();
          }),
        );
        // Dialler i asks every j > i, through its own nsmgr, from where endpoint i runs.
        const dials = all.map((from, i) => {
          const o = {
            to: all.slice(i + 1),
            nsmgr: sb.nsmgrs[i % sb.nsmgrs.length]!.url,
            service: sb.service,
          };
          return hosts ? hosts.dial(from, o) : dialAll({ from, ...o, timeoutMs: LIMIT_MS });
        });
        await withLimit(Promise.all(dials), "the bare requests did not finish");
        return seconds(started);
      } finally {
        await Promise.all(cleanup.map((c) => c()));
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function withLimit<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${LIMIT_MS / 1000} s`)), LIMIT_MS);
  });
  try {
    return await Promise.race([p, limit]);
  } finally {
    clearTimeout(timer);
  }
}

async function main(): Promise<number> {
  const k = hostCount();
  const layout =
    k > 0
      ? `this process: registry, prefix server, ${SANDBOX.nodes} nsmgrs; endpoints in ${k} host processes`
      : `one process: registry, prefix server, ${SANDBOX.nodes} nsmgrs and the endpoints`;
  console.log(`mesh convergence, ${layout} (bound: same layout)`);
  console.log(
    `in-memory data plane, registrations ${SANDBOX.registryExpiryMs / 1000} s, tokens ${SANDBOX.lifetimeMs / 1000} s`,
  );
  console.log(`median (min-max) of ${roundCount()} rounds at each N, after a warm-up round`);
  console.log("   N  links           mesh (s)          bound (s)         mesh/bound");
  const hosts = k > 0 ? await startEndpointHosts(k) : undefined;
  try {
    return await measure(hosts);
  } finally {
    await hosts?.close();
  }
}

/** One round at `n`: both sides, in the order given; seconds of each. */
async function roundAt(n: number, boundFirst: boolean, hosts?: EndpointHosts) {
  let bound = 0;
  let mesh = 0;
  for (const side of boundFirst ? ["bound", "mesh"] : ["mesh", "bound"]) {
    if (side === "bound") bound = await lowerBound(n, hosts);
    else mesh = await meshTime(n, hosts);
  }
  return { bound, mesh };
}

async function measure(hosts?: EndpointHosts): Promise<number> {
  const list = sizes();
  const rounds = roundCount();
  // Not counted: the first sandbox, endpoints and diallers of a process run cold.
  await roundAt(list[0]!, true, hosts);
  let headline: { n: number; ratio: number } | undefined;
  for (const n of list) {
    const got: { bound: number; mesh: number }[] = [];
    try {
      for (let r = 0; r < rounds; r++) got.push(await roundAt(n, r % 2 === 1, hosts));
    } catch (err) {
      // Reported as a target not met (an infinite ratio), not as a crash: the next N still runs.
      console.log(`${String(n).padStart(4)}  ${(err as Error).message}; no figure at this N`);
      if (n === TARGET_N || !list.includes(TARGET_N)) headline = { n, ratio: Number.POSITIVE_INFINITY };
      continue;
    }
    const ratios = got.map((g) => g.mesh / g.bound);
    const links = (n * (n - 1)) / 2;
    console.log(
      `${String(n).padStart(4)} ${String(links).padStart(6)} ${spread(
        got.map((g) => g.mesh),
        2,
      ).padStart(18)} ` +
        `${spread(
          got.map((g) => g.bound),
          2,
        ).padStart(18)} ${spread(ratios, 2).padStart(18)}`,
    );
    if (n === TARGET_N || !list.includes(TARGET_N)) headline = { n, ratio: median(ratios) };
  }
  const { n, ratio } = headline!;
  const met = ratio <= TARGET_RATIO;
  console.log(
    `result: mesh/bound convergence time at N=${n} = ${Number.isFinite(ratio) ? ratio.toFixed(2) : "inf"} ratio (target <= ${TARGET_RATIO}) ${met ? "met" : "NOT met"}`,
  );
  return 0;
}

// --domains N: across NSM domains, in its own file (mesh-domains.ts).
const run = process.argv.some((a) => a.startsWith("--domains"))
  ? async () => (await import("./mesh-domains.js")).main()
  : main;
run().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(2);
  },
);
