// The sides of bench:mesh (mesh.bench.ts), each in a fresh sandbox of the same layout and with the same
// start point: the mesh (N vl3-nse endpoints until every one has all N-1 peer links up), its lower bound
// (N bare vL3 endpoints doing the same protocol job, bare-vl3.ts) and the older requests-only bound (N
// bare servers registered, then N·(N-1)/2 bare Requests). Each returns its wall-clock time and the CPU
// time every process of the layout spent in that window.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "../../src/log.js";
import { registerEndpoint } from "../../src/registry/register.js";
import { dialAll, startBareEndpoint } from "../../src/sandbox/bare-endpoint.js";
import { type BareVl3, bareAddressing, startBareVl3 } from "../../src/sandbox/bare-vl3.js";
import type { EndpointHosts } from "../../src/sandbox/endpoint-hosts.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";

/**
 * NSM's defaults (1 min registrations, 10 min tokens): refresh traffic is not what is measured. The peer
 * Requests' deadline is vl3-nse's own default (NSM_REQUEST_TIMEOUT 15 s), not the sandbox's 5 s for quick
 * tests: on a loaded node an answer after 6 s is an answer, not a retry.
 */
// Plain text: the bound's bare servers and diallers (endpoint hosts) have no identities yet, and both
// sides must do the same transport work.
export const SANDBOX = {
  nodes: 3,
  registryExpiryMs: 60_000,
  lifetimeMs: 600_000,
  requestTimeoutMs: 15_000,
  security: false as const,
};
export const LIMIT_MS = 120_000;

/** Seconds of wall clock, and CPU seconds of this process (registry, prefix server, nsmgrs) and of the
 * endpoint hosts together (0 without hosts), over one side's measured window. */
export interface Timed {
  wall: number;
  cpuHere: number;
  cpuHosts: number;
}

/** Starts counting CPU time in every process of the layout; the function returns what each spent. */
async function cpuMeter(
  hosts?: EndpointHosts,
): Promise<() => Promise<{ cpuHere: number; cpuHosts: number }>> {
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const hostsBefore = sum((await hosts?.cpu()) ?? []);
  const here = process.cpuUsage();
  return async () => {
    const used = process.cpuUsage(here);
    const hostsAfter = sum((await hosts?.cpu()) ?? []);
    return { cpuHere: (used.user + used.system) / 1e6, cpuHosts: (hostsAfter - hostsBefore) / 1e6 };
  };
}

export const names = (n: number) => Array.from({ length: n }, (_, i) => `nse-${String(i).padStart(3, "0")}`);
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

/** The mesh: N vl3-nse endpoints started at once until each has all N-1 peer links up. */
export async function meshTime(n: number, hosts?: EndpointHosts): Promise<Timed> {
  return withLayout(hosts, async (sb) => {
    const all = countdown(n);
    const off = hosts?.onMeshed(all.meshed);
    const cpu = await cpuMeter(hosts);
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
    const t = { wall: seconds(started), ...(await cpu()) };
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

/**
 * The bound: N bare vL3 endpoints started at once, each through the nsmgr the mesh's endpoint of that
 * index uses, until each has all N-1 links (its dialled Requests answered, its served ones arrived).
 */
export async function lowerBound(n: number, hosts?: EndpointHosts): Promise<Timed> {
  const dir = mkdtempSync(join(tmpdir(), "vl3-bench-"));
  try {
    return await withLayout(hosts, async (sb) => {
      const all = countdown(n);
      const off = hosts?.onMeshed(all.meshed);
      const here: BareVl3[] = [];
      const cpu = await cpuMeter(hosts);
      const started = performance.now();
      try {
        await Promise.all(
          names(n).map(async (name, index) => {
            const o = {
              socket: join(dir, `${name}.sock`),
              nsmgr: sb.nsmgrs[index % sb.nsmgrs.length]!.url,
              service: sb.service,
              peers: n - 1,
              timeoutMs: SANDBOX.requestTimeoutMs,
            };
            if (hosts) return hosts.startBareVl3(name, { ...o, index });
            const addressing = bareAddressing(index);
            const listenOn = `unix://${o.socket}`;
            here.push(
              await startBareVl3({ ...o, name, listenOn, addressing, onMeshed: () => all.meshed(name) }),
            );
          }),
        );
        await withLimit(all.done, `${n} bare vL3 endpoints did not form a full mesh`);
        return { wall: seconds(started), ...(await cpu()) };
      } finally {
        off?.();
        await Promise.all(here.map((b) => b.stop()));
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The older, requests-only bound: N bare servers started and registered, then N·(N-1)/2 bare
 * Requests all in flight (no discovery, no peer context, no monitor events). */
export async function requestsBound(n: number, hosts?: EndpointHosts): Promise<Timed> {
  const dir = mkdtempSync(join(tmpdir(), "vl3-bench-"));
  try {
    return await withLayout(hosts, async (sb) => {
      const all = names(n);
      const socket = (name: string) => join(dir, `${name}.sock`);
      const cleanup: Array<() => Promise<void>> = [];
      // The same start point as the mesh's clock: before the servers start and register.
      const cpu = await cpuMeter(hosts);
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
        return { wall: seconds(started), ...(await cpu()) };
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
