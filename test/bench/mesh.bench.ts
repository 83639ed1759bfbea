// Mesh convergence: N vl3-nse endpoints started at once in the sandbox (in-memory data plane) until
// every one has all N-1 peer links up, against a lower bound measured in the same run and the same
// process layout: N bare vL3 endpoints (src/sandbox/bare-vl3.ts) doing the same protocol job (register,
// watch the registry, one Request per pair by the name-order rule carrying each side's prefix, monitor
// events) with nothing else. --bound requests: the older bound, N bare servers and N·(N-1)/2 bare
// Requests handed their targets. Both clocks start before anything starts, so both include start-up and
// registration. A warm-up round of both comes first; then rounds of both at each N, the first of each
// round alternating; the headline is the median of mesh/bound over the rounds, with the spread. Beside
// the clock, each side's CPU time in every process of the layout (mesh-sides.ts): on a shared machine
// the clock also measures everyone else's load.
// By default the endpoints (and the bound's bare endpoints) run in 2 endpoint host processes, one
// per core, as a cluster runs each endpoint in a process of its own; the registry, the nsmgrs and the
// prefix server stay in this one. --hosts 0: everything in this process.
// Run: npm run bench:mesh [-- --n 10,50,100 --hosts 2 --rounds 5 --bound vl3|requests]. It runs compiled
// (tsconfig.bench.json into dist/, the hosts forking dist/src/sandbox/endpoint-host.js), as the image
// runs vl3-nse: tsx's keepNames wraps every function made in a __name call, on both sides (~1% of a host).
// Profile: node --cpu-prof dist/test/bench/mesh.bench.js --hosts 0 (after npm run bench:mesh compiled it).
import { type EndpointHosts, startEndpointHosts } from "../../src/sandbox/endpoint-hosts.js";
import { lowerBound, meshTime, requestsBound, SANDBOX, type Timed } from "./mesh-sides.js";
import { median, spread } from "./request-rounds.js";

/** The headline: at N=100 the mesh within this factor of its bound. */
const TARGET_N = 100;
const TARGET_RATIO = 2;

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

const BOUNDS = {
  vl3: {
    side: lowerBound,
    what: "bound: N bare vL3 endpoints (register, registry watch, one Request per pair by the name-order rule with each side's prefix, monitor events; no actors, chain, IPAM, data plane)",
  },
  requests: {
    side: requestsBound,
    what: "bound (requests only): N bare servers registered, then N·(N-1)/2 bare Requests handed their targets",
  },
};

function boundKind(): keyof typeof BOUNDS {
  const b = option("bound", "vl3");
  if (b !== "vl3" && b !== "requests") throw new Error(`--bound: vl3 or requests, got ${b}`);
  return b;
}

function hostCount(): number {
  const k = Number(option("hosts", "2"));
  if (!Number.isInteger(k) || k < 0 || k > 16) throw new Error(`--hosts: 0..16, got ${k}`);
  return k;
}

async function main(): Promise<number> {
  const k = hostCount();
  const layout =
    k > 0
      ? `this process: registry, prefix server, ${SANDBOX.nodes} nsmgrs; endpoints in ${k} host processes`
      : `one process: registry, prefix server, ${SANDBOX.nodes} nsmgrs and the endpoints`;
  console.log(`mesh convergence, ${layout} (bound: same layout)`);
  console.log(BOUNDS[boundKind()].what);
  console.log(
    `in-memory data plane, registrations ${SANDBOX.registryExpiryMs / 1000} s, tokens ${SANDBOX.lifetimeMs / 1000} s, peer Request deadline ${SANDBOX.requestTimeoutMs / 1000} s`,
  );
  console.log(`median (min-max) of ${roundCount()} rounds at each N, after a warm-up round`);
  console.log(
    "CPU: seconds of every process over the side's window, this one (registry, prefix server, nsmgrs) + the hosts",
  );
  const hosts = k > 0 ? await startEndpointHosts(k) : undefined;
  try {
    return await measure(hosts);
  } finally {
    await hosts?.close();
  }
}

/** One round at `n`: both sides, in the order given. */
async function roundAt(n: number, boundFirst: boolean, hosts?: EndpointHosts) {
  let bound: Timed | undefined;
  let mesh: Timed | undefined;
  for (const side of boundFirst ? ["bound", "mesh"] : ["mesh", "bound"]) {
    if (side === "bound") bound = await BOUNDS[boundKind()].side(n, hosts);
    else mesh = await meshTime(n, hosts);
  }
  return { bound: bound!, mesh: mesh! };
}

const cpuOf = (t: Timed) => t.cpuHere + t.cpuHosts;

/** One line per N: clock and CPU time of each side, and their ratios, each as median (min-max). */
function report(n: number, got: { bound: Timed; mesh: Timed }[]): void {
  const col = (xs: number[], width: number) => spread(xs, 2).padStart(width);
  const links = (n * (n - 1)) / 2;
  console.log(
    `${String(n).padStart(4)} ${String(links).padStart(6)} ${col(
      got.map((g) => g.mesh.wall),
      18,
    )} ${col(
      got.map((g) => g.bound.wall),
      18,
    )} ${col(
      got.map((g) => g.mesh.wall / g.bound.wall),
      18,
    )}`,
  );
  const part = (ts: Timed[]) =>
    `${median(ts.map((t) => t.cpuHere)).toFixed(2)}+${median(ts.map((t) => t.cpuHosts)).toFixed(2)}`;
  const mesh = got.map((g) => g.mesh);
  const bound = got.map((g) => g.bound);
  console.log(
    `      CPU (s): mesh ${col(mesh.map(cpuOf), 0)} [${part(mesh)}], bound ${col(bound.map(cpuOf), 0)} [${part(bound)}], mesh/bound ${col(
      got.map((g) => cpuOf(g.mesh) / cpuOf(g.bound)),
      0,
    )}; per link: mesh ${((median(mesh.map(cpuOf)) / links) * 1e3).toFixed(2)} ms, bound ${((median(bound.map(cpuOf)) / links) * 1e3).toFixed(2)} ms`,
  );
}

async function measure(hosts?: EndpointHosts): Promise<number> {
  const list = sizes();
  const rounds = roundCount();
  // Not counted: the first sandbox, endpoints and diallers of a process run cold. A warm-up that does
  // not finish is said, and the sizes are measured all the same (each may then fail on its own).
  await roundAt(list[0]!, true, hosts).catch((err: Error) =>
    console.log(`warm-up at N=${list[0]}: ${err.message}`),
  );
  console.log("   N  links           mesh (s)          bound (s)         mesh/bound");
  let headline: { n: number; ratio: number } | undefined;
  for (const n of list) {
    const got: { bound: Timed; mesh: Timed }[] = [];
    try {
      for (let r = 0; r < rounds; r++) got.push(await roundAt(n, r % 2 === 1, hosts));
    } catch (err) {
      // Reported as a target not met (an infinite ratio), not as a crash: the next N still runs.
      console.log(`${String(n).padStart(4)}  ${(err as Error).message}; no figure at this N`);
      if (n === TARGET_N || !list.includes(TARGET_N)) headline = { n, ratio: Number.POSITIVE_INFINITY };
      continue;
    }
    report(n, got);
    if (n === TARGET_N || !list.includes(TARGET_N))
      headline = { n, ratio: median(got.map((g) => g.mesh.wall / g.bound.wall)) };
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
