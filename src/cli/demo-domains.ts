// `vl3-nse demo --domains N [--floating]`: one vL3 across N NSM domains on one machine, each with its
// registry, nsmgr, registry proxy and nsmgr proxy, tied by a fake DNS (docs/interdomain.md). Shows
// each endpoint's domain and its peers per domain, each client's address; with the kernel data plane,
// clients ping the clients of every domain.
import type { ActorView } from "../actors/observe.js";
import { createLogger } from "../log.js";
import { identityOf } from "../mesh.js";
import { domain } from "../registry/interdomain.js";
import type { SandboxDomain } from "../sandbox/domains.js";
import { startSandbox } from "../sandbox/index.js";
import { SandboxKernel } from "../sandbox/kernel.js";
import { table } from "../util/table.js";
import type { DemoOptions } from "./demo.js";

const out = (line: string) => process.stdout.write(`${line}\n`);
const peers = (t: ActorView) => t.children.filter((c) => c.kind === "peer");

export async function runDomainsDemo(
  o: DemoOptions & { domains: number; floating: boolean },
): Promise<number> {
  const log = createLogger({ level: "warn", stream: process.stderr });
  const kernel = o.dataplane === "kernel" ? new SandboxKernel(undefined, log) : undefined;
  const started = performance.now();
  const sb = await startSandbox({ domains: o.domains, floating: o.floating, nodes: 1, kernel, log });
  const domains = sb.domains!;
  const at = (i: number) => domains[i % domains.length]!;
  try {
    const floating = sb.interdomain?.floating;
    out(
      `vL3 demo across ${domains.length} domains${floating ? ` and the floating domain "${floating.name}"` : ""}: ` +
        `service ${sb.service}, prefixes from one shared server, data plane ${o.dataplane}`,
    );
    out(
      `security: SPIFFE mTLS and signed path tokens on every hop (proxies included), SVIDs from the trust domain ${sb.trustDomain?.trustDomain}`,
    );
    for (const d of domains)
      out(
        `  ${d.name}: registry ${d.registry.url}, registry proxy ${d.registryProxy.url}, nsmgr proxy ${d.nsmgrProxy.url}`,
      );
    // Endpoints and clients dealt round the domains; start order shuffled (the peer rule does not care).
    const names = Array.from({ length: o.endpoints }, (_, i) => i).sort(() => Math.random() - 0.5);
    await Promise.all(names.map((i) => at(i).startEndpoint(`vl3-nse-${i + 1}`)));
    await Promise.all(Array.from({ length: o.clients }, (_, i) => at(i).startClient(`nsc-${i + 1}`)));
    const all = () => domains.flatMap((d) => [...d.endpoints.values()].map((e) => ({ d, e })));
    const done = () =>
      all().every(
        ({ e }) =>
          peers(e.endpoint.tree()).filter((p) => p.state.startsWith("up")).length === o.endpoints - 1,
      ) && domains.every((d) => d.clients.every((c) => c.address));
    const deadline = Date.now() + 30_000;
    while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const ok = done();
    const seconds = (performance.now() - started) / 1000;
    out(
      ok
        ? `converged in ${seconds.toFixed(2)} s (all ${(o.endpoints * (o.endpoints - 1)) / 2} peer links up, across domains through the nsmgr proxies)`
        : "did NOT converge within 30 s",
    );
    out("");
    const peerDomain = (p: ActorView) => domain(p.subject.peer ?? "") || "?";
    out(
      table(
        ["endpoint", "domain", "prefix", "address", "peers up, per domain", "clients"],
        all()
          .sort((a, b) =>
            identityOf(a.e.config).localeCompare(identityOf(b.e.config), undefined, { numeric: true }),
          )
          .map(({ d, e }) => {
            const tree = e.endpoint.tree();
            const per = new Map<string, [number, number]>();
            for (const p of peers(tree)) {
              const n = per.get(peerDomain(p)) ?? [0, 0];
              per.set(peerDomain(p), [n[0] + (p.state.startsWith("up") ? 1 : 0), n[1] + 1]);
            }
            return [
              identityOf(e.config),
              d.name,
              e.endpoint.prefix ?? "-",
              e.endpoint.selfAddress ?? "-",
              [...per]
                .sort()
                .map(([k, [up, n]]) => `${k} ${up}/${n}`)
                .join(", ") || "-",
              String(
                tree.children.filter((c) => c.kind === "connection" && c.subject.kind === "client").length,
              ),
            ];
          }),
      ),
    );
    out("");
    const clients = domains.flatMap((d) => d.clients.map((c) => ({ d, c })));
    out(
      table(
        ["client", "domain", "address", "endpoint", "routes"],
        clients.map(({ d, c }) => [c.name, d.name, c.address ?? "-", c.endpoint ?? "-", c.routes.join(" ")]),
      ),
    );
    if (kernel && ok) return (await pingAcross(domains, kernel)) ? 0 : 1;
    return ok ? 0 : 1;
  } finally {
    await sb.stop();
  }
}

/** Every client pings every client of the other domains over the vL3; true if all answered. */
async function pingAcross(domains: SandboxDomain[], kernel: SandboxKernel): Promise<boolean> {
  const { ping } = await import("../kernel/exec.js");
  out("\nping between clients of different domains over the vL3 (kernel data plane):");
  let all = true;
  for (const d of domains) {
    for (const a of d.clients) {
      const others = domains.filter((x) => x !== d).flatMap((x) => x.clients);
      const results = await Promise.all(
        others.map(async (b) => {
          const ok = await ping(await kernel.netnsFor(a.name), b.address!.split("/")[0]!);
          all &&= ok;
          return `${b.name}:${ok ? "ok" : "FAIL"}`;
        }),
      );
      out(`  ${a.name} (${d.name}) → ${results.join(" ") || "(no clients elsewhere)"}`);
    }
  }
  return all;
}
