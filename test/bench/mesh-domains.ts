// Mesh convergence across NSM domains (`npm run bench:mesh -- --domains 3 [--per 10 --rounds 5]`):
// D domains × K vl3-nse endpoints started at once until every one has all D·K−1 peer links up, against
// the bare round-trip bound of the same work in the same run and the same layout: D·K bare endpoints
// registered in their domains, then one bare Request per pair from the side the peer rule names,
// through the same nsmgrs and nsmgr proxies (a Find through the registry proxies first, as the mesh's).
// Both clocks start when the participants are started. One warm-up round of each, then rounds in
// alternating order; the headline is the median of the per-round ratios.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import { silentLogger } from "../../src/log.js";
import { domain, join } from "../../src/registry/interdomain.js";
import { dialsPeer } from "../../src/registry/peer.js";
import { registerEndpoint } from "../../src/registry/register.js";
import { dialAll, startBareEndpoint } from "../../src/sandbox/bare-endpoint.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";

const TARGET = 3;
const LIMIT_MS = 120_000;

function option(name: string, fallback: number, min: number, max: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const raw =
    (i >= 0 ? process.argv[i + 1] : process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1]) ??
    String(fallback);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name}: ${min}..${max}, got ${raw}`);
  return n;
}

const seconds = (since: number) => (performance.now() - since) / 1000;
/** This process's CPU seconds since `since` (everything runs here: less noisy than the clock on a shared machine). */
const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
};
type Timed = { wall: number; cpu: number };
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** NSM's defaults (1 min registrations, 10 min tokens, 15 s Requests): refresh traffic is not what is measured. */
async function withDomains<T>(domains: number, run: (sb: Sandbox) => Promise<T>): Promise<T> {
  const sb = await startSandbox({
    domains,
    nodes: 1,
    registryExpiryMs: 60_000,
    lifetimeMs: 600_000,
    requestTimeoutMs: 15_000,
    // Plain text: the bound's bare endpoints and diallers have no identities, and both sides must do
    // the same transport work.
    security: false,
    log: silentLogger(),
  });
  try {
    return await withLimit(run(sb));
  } finally {
    await sb.stop();
  }
}

/** The endpoints, by identity, with the domain they run in. */
function members(sb: Sandbox, per: number): Array<{ d: number; name: string; id: string }> {
  return sb.domains!.flatMap((dom, d) =>
    Array.from({ length: per }, (_, i) => {
      const name = `nse-${String(i).padStart(2, "0")}`;
      return { d, name, id: join(name, dom.name) };
    }),
  );
}

async function meshTime(domains: number, per: number): Promise<Timed> {
  return withDomains(domains, async (sb) => {
    const all = members(sb, per);
    const want = all.length - 1;
    let meshed = 0;
    let done!: () => void;
    const finished = new Promise<void>((r) => {
      done = r;
    });
    const started = performance.now();
    const cpu = process.cpuUsage();
    await Promise.all(
      all.map(async (m) => {
        const nse = await sb.domains![m.d]!.startEndpoint(m.name);
        const up = new Set<string>();
        let counted = false;
        nse.endpoint.onSignal((s) => {
          if (s.type !== "peer") return;
          if (s.up) up.add(s.name);
          else up.delete(s.name);
          if (!counted && up.size === want) {
            counted = true;
            if (++meshed === all.length) done();
          }
        });
      }),
    );
    await finished;
    const t = { wall: seconds(started), cpu: cpuSeconds(cpu) };
    for (const dom of sb.domains!)
      for (const e of dom.endpoints.values()) {
        const up = e.endpoint.tree().children.filter((c) => c.kind === "peer" && c.state.startsWith("up"));
        if (up.length !== want) throw new Error(`${e.config.name} has ${up.length}/${want} peers up`);
      }
    return t;
  });
}

async function boundTime(domains: number, per: number): Promise<Timed> {
  const dir = mkdtempSync(joinPath(tmpdir(), "vl3-bench-domains-"));
  try {
    return await withDomains(domains, async (sb) => {
      const all = members(sb, per);
      const stops: Array<() => Promise<void>> = [];
      try {
        const started = performance.now();
        const cpu = process.cpuUsage();
        await Promise.all(
          all.map(async (m) => {
            const url = `unix://${joinPath(dir, `${m.d}-${m.name}.sock`)}`;
            const server = await startBareEndpoint(m.name, url);
            const r = registerEndpoint({
              target: sb.domains![m.d]!.registry.url,
              nse: { name: m.name, serviceNames: [sb.service], labels: {}, url },
              expiryMs: 60_000,
              log: silentLogger(),
            });
            stops.push(async () => {
              await r.stop({ unregister: false });
              server.forceShutdown();
            });
            await r.whenRegistered();
          }),
        );
        // Each pair once, from the side the rule names, addressed as the mesh addresses it.
        await Promise.all(
          all.flatMap((from) => {
            const dom = sb.domains![from.d]!;
            const byDomain = new Map<string, string[]>();
            for (const to of all) {
              if (to === from || !dialsPeer(from.id, to.id)) continue;
              const local = to.d === from.d;
              const key = local ? "" : domain(to.id);
              byDomain.set(key, [...(byDomain.get(key) ?? []), local ? to.name : to.id]);
            }
            return [...byDomain].map(([d, to]) =>
              dialAll({
                from: from.name,
                to,
                nsmgr: dom.nsmgrs[0]!.url,
                service: join(sb.service, d),
                timeoutMs: LIMIT_MS,
              }),
            );
          }),
        );
        return { wall: seconds(started), cpu: cpuSeconds(cpu) };
      } finally {
        await Promise.all(stops.map((s) => s()));
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function withLimit<T>(p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not done within ${LIMIT_MS / 1000} s`)), LIMIT_MS);
  });
  try {
    return await Promise.race([p, limit]);
  } finally {
    clearTimeout(timer);
  }
}

export async function main(): Promise<number> {
  const domains = option("domains", 3, 2, 8);
  const per = option("per", 10, 1, 40);
  const rounds = option("rounds", 5, 5, 21);
  const n = domains * per;
  const links = (n * (n - 1)) / 2;
  console.log(
    `mesh convergence across ${domains} domains × ${per} endpoints (${links} links), one process: per domain a ` +
      "registry, an nsmgr, a registry proxy and an nsmgr proxy; shared prefix server; in-memory data plane",
  );
  console.log(
    "bound: the same endpoints bare (register, then one Request per pair through the same proxies)",
  );
  console.log("round  first   mesh (s)  bound (s)  ratio   CPU: mesh (s)  bound (s)  ratio");
  // Warm-up: one of each, not counted.
  await meshTime(domains, per);
  await boundTime(domains, per);
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  const meshes: number[] = [];
  const bounds: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const meshFirst = r % 2 === 0;
    let mesh: Timed;
    let bound: Timed;
    if (meshFirst) {
      mesh = await meshTime(domains, per);
      bound = await boundTime(domains, per);
    } else {
      bound = await boundTime(domains, per);
      mesh = await meshTime(domains, per);
    }
    meshes.push(mesh.wall);
    bounds.push(bound.wall);
    ratios.push(mesh.wall / bound.wall);
    cpuRatios.push(mesh.cpu / bound.cpu);
    console.log(
      `${String(r + 1).padStart(5)}  ${(meshFirst ? "mesh" : "bound").padEnd(5)} ${mesh.wall.toFixed(2).padStart(9)} ` +
        `${bound.wall.toFixed(2).padStart(10)} ${(mesh.wall / bound.wall).toFixed(2).padStart(6)}` +
        `   ${mesh.cpu.toFixed(2).padStart(12)} ${bound.cpu.toFixed(2).padStart(10)} ${(mesh.cpu / bound.cpu).toFixed(2).padStart(6)}`,
    );
  }
  const ratio = median(ratios);
  console.log(
    `median: mesh ${median(meshes).toFixed(2)} s, bound ${median(bounds).toFixed(2)} s; ratio ${ratio.toFixed(2)} ` +
      `(spread ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}); ` +
      `CPU ratio ${median(cpuRatios).toFixed(2)} (${Math.min(...cpuRatios).toFixed(2)}–${Math.max(...cpuRatios).toFixed(2)})`,
  );
  const met = ratio <= TARGET;
  console.log(
    `result: ${domains}-domain mesh convergence / bare round-trip bound = ${ratio.toFixed(2)} x (target <= ${TARGET}) ${met ? "met" : "NOT met"}`,
  );
  return met ? 0 : 1;
}
