// `vl3-nse demo`: the whole vL3 on one machine. An in-process sandbox (registry, prefix server,
// nsmgrs) with N vl3-nse endpoints and M clients; shows progress while the mesh converges, then
// the endpoints, the clients and the time it took.
import type { ActorView } from "../actors/observe.js";
import { meshObservable } from "../debug/mesh.js";
import { type DebugServer, startDebugServer } from "../debug/server.js";
import { createLogger, type Logger } from "../log.js";
import { type Sandbox, startSandbox } from "../sandbox/index.js";
import { SandboxKernel } from "../sandbox/kernel.js";
import { table } from "../util/table.js";

export interface DemoOptions {
  endpoints: number;
  clients: number;
  dataplane: "memory" | "kernel";
  stay: boolean;
  /** More than one, or floating: one vL3 across NSM domains (demo-domains.ts). */
  domains?: number;
  floating?: boolean;
}

const out = (line: string) => process.stdout.write(`${line}\n`);

function peersUp(tree: ActorView): number {
  return tree.children.filter((c) => c.kind === "peer" && c.state.startsWith("up")).length;
}

/** Every endpoint has all its peer links up and every client is connected. */
export function converged(sb: Sandbox): boolean {
  const n = sb.endpoints.size;
  return (
    [...sb.endpoints.values()].every((e) => peersUp(e.endpoint.tree()) === n - 1) &&
    sb.clients.every((c) => c.address)
  );
}

async function until(check: () => boolean, timeoutMs: number, tick: () => void): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    tick();
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

export async function runDemo(o: DemoOptions): Promise<number> {
  if (o.dataplane === "kernel" && process.getuid?.() !== 0) {
    process.stderr.write("vl3-nse demo: --dataplane kernel needs root (network namespaces and veth pairs)\n");
    return 2;
  }
  if ((o.domains ?? 1) > 1 || o.floating) {
    const { runDomainsDemo } = await import("./demo-domains.js");
    return runDomainsDemo({ ...o, domains: o.domains ?? 1, floating: o.floating ?? false });
  }
  const log = createLogger({ level: "warn", stream: process.stderr });
  const kernel = o.dataplane === "kernel" ? new SandboxKernel(undefined, log) : undefined;
  const started = performance.now();
  // The sandbox does it NSM's way (descriptors over unix sockets where the addon is built, fd-passing.md).
  const sb = await startSandbox({ nodes: Math.min(3, o.endpoints), kernel, log });
  try {
    out(
      `vL3 demo: registry ${sb.registry.url}, prefix server ${sb.prefixServer.url}, ${sb.nsmgrs.length} nsmgr(s), data plane ${o.dataplane}`,
    );
    out(
      `security: SPIFFE mTLS on every channel and signed path tokens on every hop, each participant's SVID from the trust domain ${sb.trustDomain?.trustDomain} (a development Workload API)`,
    );
    // Start order shuffled on purpose: the peer rule does not care who comes first.
    const names = Array.from({ length: o.endpoints }, (_, i) => `vl3-nse-${i + 1}`).sort(
      () => Math.random() - 0.5,
    );
    await Promise.all(names.map((name, i) => sb.startEndpoint(name, { node: i })));
    out(`started ${o.endpoints} endpoints; starting ${o.clients} clients`);
    await Promise.all(
      Array.from({ length: o.clients }, (_, i) => sb.startClient(`nsc-${i + 1}`, { node: i })),
    );
    const links = (o.endpoints * (o.endpoints - 1)) / 2;
    // Progress: rewritten in place on a terminal, one line per change otherwise (CI logs).
    let last = "";
    const ok = await until(
      () => converged(sb),
      30_000,
      () => {
        // Each link counted once, at its dialling end.
        const up = [...sb.endpoints.values()].reduce(
          (n, e) =>
            n +
            e.endpoint.tree().children.filter((c) => c.subject.role === "dial" && c.state.startsWith("up"))
              .length,
          0,
        );
        const line = `  peer links up ${up}/${links}, clients connected ${sb.clients.filter((c) => c.address).length}/${o.clients}`;
        if (line === last) return;
        last = line;
        process.stdout.write(process.stdout.isTTY ? `\r${line}   ` : `${line}\n`);
      },
    );
    const seconds = (performance.now() - started) / 1000;
    if (process.stdout.isTTY && last) process.stdout.write(`\r${" ".repeat(last.length + 3)}\r`);
    out(
      ok
        ? `converged in ${seconds.toFixed(2)} s (all ${links} peer links up)`
        : "did NOT converge within 30 s",
    );
    out("");
    out(
      table(
        ["endpoint", "prefix", "address", "peers up", "clients"],
        [...sb.endpoints.values()]
          .sort((a, b) => a.config.name.localeCompare(b.config.name, undefined, { numeric: true }))
          .map((e) => {
            const tree = e.endpoint.tree();
            const clients = tree.children.filter(
              (c) => c.kind === "connection" && c.subject.kind === "client",
            ).length;
            return [
              e.config.name,
              e.endpoint.prefix ?? "-",
              e.endpoint.selfAddress ?? "-",
              `${peersUp(tree)}/${o.endpoints - 1}`,
              String(clients),
            ];
          }),
      ),
    );
    out("");
    const clients = [...sb.clients].sort((a, b) =>
      a.name.localeCompare(b.name, undefined, { numeric: true }),
    );
    out(
      table(
        ["client", "address", "endpoint", "routes"],
        clients.map((c) => [c.name, c.address ?? "-", c.endpoint ?? "-", c.routes.join(" ")]),
      ),
    );
    if (kernel && ok) await pingAll(sb, kernel);
    if (kernel && ok) await byName(sb, kernel);
    if (o.stay) {
      const debug = await serveMesh(sb, log);
      out(
        `\ndebug page for the whole mesh: ${debug.url}/debug/ui (state charts: ${debug.url}/debug/machines)`,
      );
      out("running; Ctrl-C to stop");
      await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
      await debug.close();
    }
    return ok ? 0 : 1;
  } finally {
    await sb.stop();
  }
}

/** One debug server for every endpoint of the sandbox: on 127.0.0.1:9090, or any free port if taken. */
async function serveMesh(sb: Sandbox, log: Logger): Promise<DebugServer> {
  const endpoints = () =>
    [...sb.endpoints.values()]
      .sort((a, b) => a.config.name.localeCompare(b.config.name, undefined, { numeric: true }))
      .map((e) => e.endpoint);
  const mesh = meshObservable(endpoints);
  const options = { observable: mesh, trees: () => mesh.trees(), log };
  return startDebugServer({ ...options, port: 9090 }).catch(() => startDebugServer({ ...options, port: 0 }));
}

async function pingAll(sb: Sandbox, kernel: SandboxKernel): Promise<void> {
  const { ping } = await import("../kernel/exec.js");
  out("\nping between clients over the vL3 (kernel data plane):");
  for (const a of sb.clients) {
    const results = await Promise.all(
      sb.clients
        .filter((b) => b !== a)
        .map(async (b) => {
          const ok = await ping(await kernel.netnsFor(a.name), b.address!.split("/")[0]!);
          return `${b.name}:${ok ? "ok" : "FAIL"}`;
        }),
    );
    out(`  ${a.name} → ${results.join(" ")}`);
  }
}

/** Each client resolves the next one's short name with its system resolver and pings it by name. */
async function byName(sb: Sandbox, kernel: SandboxKernel): Promise<void> {
  const { pingName, resolveIn } = await import("../kernel/exec.js");
  out("\nby name over the vL3 (workload DNS: each client's resolv.conf points at its endpoint):");
  const clients = sb.clients;
  const lines = await Promise.all(
    clients.map(async (a, i) => {
      const b = clients[(i + 1) % clients.length]!;
      const ns = await kernel.netnsFor(a.name);
      const ip = await resolveIn(ns, b.name);
      const ok = ip !== undefined && (await pingName(ns, b.name));
      return `  ${a.name}: ${b.name} → ${ip ?? "not found"}, ping ${ok ? "ok" : "FAIL"}`;
    }),
  );
  for (const line of lines) out(line);
}
