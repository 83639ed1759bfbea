// Shared by the interdomain tests: several NSM domains in one sandbox, endpoints with in-memory data
// planes we can read, and the checks that say "one vL3 mesh across all of them", by qualified names.
import { expect } from "vitest";
import type { ActorView } from "../../../src/actors/observe.js";
import { MemoryDataplane } from "../../../src/dataplane/memory.js";
import { identityOf } from "../../../src/mesh.js";
import type { Vl3Nse } from "../../../src/nse.js";
import { dialsPeer } from "../../../src/registry/peer.js";
import type { SandboxDomain } from "../../../src/sandbox/domains.js";
import { type Sandbox, type SandboxOptions, startSandbox } from "../../../src/sandbox/index.js";
import { QUICK } from "../mesh/helpers.js";

export { eventually, expectDistinctPrefixes } from "../mesh/helpers.js";

export interface Member {
  domain: string;
  name: string;
  /** The qualified name peers know it by. */
  id: string;
  nse: Vl3Nse;
}

export class Domains {
  readonly dataplanes = new Map<string, MemoryDataplane>();

  private constructor(readonly sb: Sandbox) {}

  static async start(options: SandboxOptions): Promise<Domains> {
    return new Domains(await startSandbox({ nodes: 1, ...QUICK, ...options }));
  }

  domain(name: string): SandboxDomain {
    const d = this.sb.domains!.find((x) => x.name === name);
    if (!d) throw new Error(`no domain ${name}`);
    return d;
  }

  async startEndpoint(domain: string, name: string): Promise<Vl3Nse> {
    const dataplane = new MemoryDataplane();
    this.dataplanes.set(`${domain}/${name}`, dataplane);
    return this.domain(domain).startEndpoint(name, { dataplane });
  }

  members(): Member[] {
    return this.sb.domains!.flatMap((d) =>
      [...d.endpoints].map(([name, nse]) => ({ domain: d.name, name, id: identityOf(nse.config), nse })),
    );
  }

  peers(m: Member): ActorView[] {
    return m.nse.endpoint.tree().children.filter((c) => c.kind === "peer");
  }

  served(m: Member): ActorView[] {
    return m.nse.endpoint.tree().children.filter((c) => c.kind === "connection" && c.subject.kind === "peer");
  }

  async routes(m: Member): Promise<string[]> {
    const items = await this.dataplanes.get(`${m.domain}/${m.name}`)!.dump();
    return items.flatMap((i) => (i.type === "route" ? [i.dst] : []));
  }

  stop(): Promise<void> {
    return this.sb.stop();
  }
}

/** Every endpoint of every domain has one up link to every other, dialled by the side the rule names. */
export async function expectFullMesh(w: Domains, expected?: number): Promise<void> {
  const members = w.members();
  if (expected !== undefined) expect(members.length).toBe(expected);
  const ids = members.map((m) => m.id);
  const byAddress = new Map(members.map((m) => [m.nse.endpoint.selfAddress!, m.id]));
  let dialled = 0;
  for (const m of members) {
    const peers = w.peers(m);
    expect(peers.map((p) => p.subject.peer).sort(), `${m.id}'s peers`).toEqual(
      ids.filter((i) => i !== m.id).sort(),
    );
    for (const p of peers) {
      expect(p.state, `${m.id} → ${p.subject.peer}`).toMatch(/^up\./);
      expect(p.subject.role, `${m.id}'s role to ${p.subject.peer}`).toBe(
        dialsPeer(m.id, p.subject.peer!) ? "dial" : "accept",
      );
    }
    dialled += peers.filter((p) => p.subject.role === "dial").length;
    const from = w.served(m).map((c) => byAddress.get(c.addresses[0]!) ?? c.addresses[0]);
    expect(from.sort(), `links ${m.id} serves`).toEqual(ids.filter((i) => dialsPeer(i, m.id)).sort());
    const routes = await w.routes(m);
    for (const o of members) if (o !== m) expect(routes, `${m.id}'s routes`).toContain(o.nse.endpoint.prefix);
  }
  expect(dialled).toBe((members.length * (members.length - 1)) / 2);
}
