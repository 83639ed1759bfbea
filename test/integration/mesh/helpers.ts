// Shared by the mesh tests: a sandbox whose endpoints each get an in-memory data plane we can read,
// bounded polling, and the checks that say "this is a full vL3 mesh".
import { setTimeout as sleep } from "node:timers/promises";
import bunyan from "bunyan";
import { expect } from "vitest";
import type { ActorView } from "../../../src/actors/observe.js";
import { MemoryDataplane } from "../../../src/dataplane/memory.js";
import { parseCidr } from "../../../src/ipam/cidr.js";
import type { Logger } from "../../../src/log.js";
import type { Vl3Nse } from "../../../src/nse.js";
import { dialsPeer } from "../../../src/registry/peer.js";
import { type Sandbox, type SandboxOptions, startSandbox } from "../../../src/sandbox/index.js";

/** Short expiries so that healing takes seconds, not minutes. */
export const QUICK: SandboxOptions = {
  registryExpiryMs: 1500,
  lifetimeMs: 3000,
  backoff: { initialMs: 50, maxMs: 500 },
};

/** Retries `check` (which throws while its condition does not hold) until it passes or time is up. */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() >= deadline) {
        (err as Error).message = `still failing after ${timeoutMs} ms: ${(err as Error).message}`;
        throw err;
      }
    }
    await sleep(50);
  }
}

/** A random permutation (the order endpoints start in must not matter). */
export function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export class Mesh {
  readonly dataplanes = new Map<string, MemoryDataplane>();

  private constructor(readonly sb: Sandbox) {}

  static async start(options: SandboxOptions = {}): Promise<Mesh> {
    return new Mesh(await startSandbox({ nodes: 2, ...QUICK, ...options }));
  }

  /** Starts (or restarts) an endpoint with a fresh in-memory data plane. */
  async startEndpoint(name: string, node = 0): Promise<Vl3Nse> {
    const dataplane = new MemoryDataplane();
    this.dataplanes.set(name, dataplane);
    return this.sb.startEndpoint(name, { node, dataplane });
  }

  nse(name: string): Vl3Nse {
    const nse = this.sb.endpoints.get(name);
    if (!nse) throw new Error(`no endpoint ${name}`);
    return nse;
  }

  names(): string[] {
    return [...this.sb.endpoints.keys()].sort();
  }

  peers(name: string): ActorView[] {
    return this.nse(name)
      .endpoint.tree()
      .children.filter((c) => c.kind === "peer");
  }

  /** Connections this endpoint serves for peers that dialled it. */
  servedLinks(name: string): ActorView[] {
    return this.nse(name)
      .endpoint.tree()
      .children.filter((c) => c.kind === "connection" && c.subject.kind === "peer");
  }

  prefixes(): Map<string, string> {
    return new Map(this.names().map((n) => [n, this.nse(n).endpoint.prefix!]));
  }

  /** Destinations of the routes programmed in an endpoint's data plane. */
  async routes(name: string): Promise<string[]> {
    const items = await this.dataplanes.get(name)!.dump();
    return items.flatMap((i) => (i.type === "route" ? [i.dst] : []));
  }

  stop(): Promise<void> {
    return this.sb.stop();
  }
}

/** Of each pair, at most one side dials, and the rule picks it (checked at any moment). */
export function expectOneDialSidePerPair(mesh: Mesh): void {
  for (const a of mesh.names()) {
    for (const peer of mesh.peers(a)) {
      const b = peer.subject.peer!;
      expect(peer.subject.role, `${a}'s actor for ${b}`).toBe(dialsPeer(a, b) ? "dial" : "accept");
    }
  }
}

/** Every endpoint has an up link to every other one, counted once per pair, with routes both ways. */
export async function expectFullMesh(mesh: Mesh): Promise<void> {
  const names = mesh.names();
  const prefixes = mesh.prefixes();
  const byAddress = new Map(names.map((n) => [mesh.nse(n).endpoint.selfAddress!, n]));
  expectOneDialSidePerPair(mesh);
  let dialled = 0;
  for (const a of names) {
    const peers = mesh.peers(a);
    expect(peers.map((p) => p.subject.peer).sort(), `${a}'s peers`).toEqual(names.filter((n) => n !== a));
    for (const p of peers) expect(p.state, `${a} → ${p.subject.peer}`).toMatch(/^up\./);
    dialled += peers.filter((p) => p.subject.role === "dial").length;
    // One served link per peer that dials us: never a second one for the same peer.
    const from = mesh.servedLinks(a).map((c) => byAddress.get(c.addresses[0]!) ?? c.addresses[0]);
    expect(from.sort(), `links ${a} serves`).toEqual(names.filter((n) => dialsPeer(n, a)));
    const routes = await mesh.routes(a);
    for (const b of names) if (b !== a) expect(routes, `${a}'s routes`).toContain(prefixes.get(b));
  }
  expect(dialled).toBe((names.length * (names.length - 1)) / 2);
}

/** Every client has an address from its endpoint's prefix and a route covering every other prefix. */
export function expectClientsServed(mesh: Mesh): void {
  const prefixes = mesh.prefixes();
  for (const c of mesh.sb.clients) {
    expect(c.endpoint, `${c.name}'s endpoint`).toBeDefined();
    const own = parseCidr(prefixes.get(c.endpoint!)!);
    expect(own.containsCidr(parseCidr(c.address!)), `${c.name} ${c.address} in ${own}`).toBe(true);
    const routes = c.routes.map((r) => parseCidr(r));
    for (const [name, prefix] of prefixes) {
      const p = parseCidr(prefix);
      expect(
        routes.some((r) => r.containsCidr(p)),
        `${c.name} reaches ${name} (${prefix})`,
      ).toBe(true);
    }
  }
}

/** Prefixes of distinct endpoints never overlap. */
export function expectDistinctPrefixes(prefixes: Iterable<string>): void {
  const all = [...prefixes].map((p) => parseCidr(p));
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++)
      expect(all[i]!.overlaps(all[j]!), `${all[i]} vs ${all[j]}`).toBe(false);
  }
}

export interface LogRecord {
  msg: string;
  [field: string]: unknown;
}

/** A logger that keeps its records (info and up), for tests that check what a server did. */
export function capturingLogger(): { log: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const log = bunyan.createLogger({
    name: "mesh-test",
    streams: [
      { type: "raw", level: "info", stream: { write: (r: object) => records.push(r as LogRecord) } as never },
    ],
  });
  return { log, records };
}

/**
 * Starts NSCs on one node until one is served by one of `candidates` (the nsmgr spreads them round
 * robin, but other requests through it move the turn); returns that endpoint's name.
 */
export async function clientsUntilServedBy(mesh: Mesh, candidates: string[], node = 0): Promise<string> {
  for (let i = mesh.sb.clients.length + 1; i <= 24; i++) {
    const c = await mesh.sb.startClient(`nsc-${i}`, { node });
    if (candidates.includes(c.endpoint!)) return c.endpoint!;
  }
  throw new Error(`no client landed on ${candidates.join(" or ")}`);
}
