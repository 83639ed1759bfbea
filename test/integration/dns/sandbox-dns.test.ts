// Workload DNS across a sandbox mesh (real gRPC, real DNS over UDP and TCP on loopback): every
// endpoint answers every client's name, its own and PTRs, through its fanout to the peers; a name
// that exists nowhere is NXDOMAIN at once; and names follow their workloads when they heal.
import { afterEach, describe, expect, it } from "vitest";
import { exchange } from "../../../src/dns/client.js";
import type { Nsc } from "../../../src/sandbox/nsc.js";
import { dataOf, q } from "../../support/dns/upstream.js";
import { eventually, expectFullMesh, Mesh, QUICK } from "../mesh/helpers.js";

let mesh: Mesh | undefined;
afterEach(async () => {
  await mesh?.stop();
  mesh = undefined;
});

const NAMES = ["nse-a", "nse-b", "nse-c"];

async function resolve(server: string, name: string, type: "A" | "PTR" = "A", tcp = false) {
  const r = await exchange(server, q(name, type, Math.floor(Math.random() * 65535)), Date.now() + 5000, {
    tcp,
  });
  return { rcode: r.rcode, data: dataOf(r) };
}

const host = (cidr?: string) => cidr!.split("/")[0]!;
const ptrName = (ip: string) => `${ip.split(".").reverse().join(".")}.in-addr.arpa.`;
const dnsOf = (m: Mesh, nse: string) => m.nse(nse).dns!.address()!;

async function meshWithClients(
  clients: number,
  o: { lifetimeMs?: number; restoreMs?: number } = {},
): Promise<{ m: Mesh; nscs: Nsc[] }> {
  const m = await Mesh.start({ ...QUICK, ...o });
  mesh = m;
  await Promise.all(NAMES.map((n, i) => m.startEndpoint(n, i % 2)));
  await eventually(() => expectFullMesh(m), 15_000);
  const nscs: Nsc[] = [];
  for (let i = 0; i < clients; i++) nscs.push(await m.sb.startClient(`nsc-${i}`, { node: i % 2 }));
  return { m, nscs };
}

describe("workload DNS in the sandbox mesh", () => {
  it("gives each client its endpoint's DNS server and NSM's search domain", async () => {
    const { m, nscs } = await meshWithClients(3);
    for (const c of nscs) {
      expect(c.connection?.context?.dnsContext?.configs, c.name).toEqual([
        { dnsServerIps: [dnsOf(m, c.endpoint!)], searchDomains: ["vl3-service"] },
      ]);
    }
  });

  it("every endpoint answers every client's name, PTR and endpoint name, over UDP and TCP", async () => {
    const { m, nscs } = await meshWithClients(5);
    expect(new Set(nscs.map((c) => c.endpoint)).size).toBeGreaterThan(1);
    await eventually(async () => {
      for (const server of NAMES.map((n) => dnsOf(m, n))) {
        for (const c of nscs) {
          expect(await resolve(server, `${c.name}.vl3-service.`), `${c.name} at ${server}`).toEqual({
            rcode: "NOERROR",
            data: [host(c.address)],
          });
          expect(await resolve(server, ptrName(host(c.address)), "PTR")).toEqual({
            rcode: "NOERROR",
            data: [`${c.name}.vl3-service`],
          });
        }
        for (const n of NAMES) {
          expect(await resolve(server, `${n}.vl3-service.`, "A", true)).toEqual({
            rcode: "NOERROR",
            data: [host(m.nse(n).endpoint.selfAddress)],
          });
        }
      }
    }, 10_000);
  });

  it("a name that exists nowhere is NXDOMAIN, without waiting for a timeout", async () => {
    const { m, nscs } = await meshWithClients(1);
    const client = nscs[0]!;
    // First every endpoint's fanout reaches its peers: each one finds the client, wherever it is
    // served (so the NXDOMAIN below is not that of an endpoint that knows no peers).
    await eventually(async () => {
      for (const n of NAMES) {
        expect(await resolve(dnsOf(m, n), `${client.name}.vl3-service.`), n).toEqual({
          rcode: "NOERROR",
          data: [host(client.address)],
        });
      }
    }, 10_000);
    for (const n of NAMES) {
      // NXDOMAIN, not SERVFAIL: the fanout says it only once every peer has answered NXDOMAIN; a peer
      // that ran into its timeout would have made the miss SERVFAIL (test/unit/dns/fanout.test.ts).
      expect((await resolve(dnsOf(m, n), "nosuch.vl3-service.")).rcode, n).toBe("NXDOMAIN");
    }
  });

  it("names follow their workloads when their endpoint is killed and they heal elsewhere", async () => {
    const { m, nscs } = await meshWithClients(6);
    const victim = nscs[0]!.endpoint!;
    const moved = nscs.filter((c) => c.endpoint === victim);
    await m.sb.stopEndpoint(victim, { graceful: false });
    await eventually(() => {
      for (const c of moved) expect(c.endpoint, c.name).not.toBe(victim);
    }, 20_000);
    const left = NAMES.filter((n) => n !== victim);
    await eventually(async () => {
      for (const server of left.map((n) => dnsOf(m, n))) {
        for (const c of nscs) {
          expect(await resolve(server, `${c.name}.vl3-service.`), `${c.name} at ${server}`).toEqual({
            rcode: "NOERROR",
            data: [host(c.address)],
          });
        }
        expect((await resolve(server, `${victim}.vl3-service.`)).rcode).toBe("NXDOMAIN");
      }
    }, 15_000);
  });

  it("names answer again, with the same addresses, when a killed endpoint comes back and its clients keep them", async () => {
    // The clients ask their endpoint again for up to 30 s (and their links outlive that): "comes back"
    // is within that window however loaded the machine; with the quick 0.5 s they reselected under load.
    const { m, nscs } = await meshWithClients(6, { lifetimeMs: 60_000, restoreMs: 30_000 });
    const victim = nscs[0]!.endpoint!;
    const kept = nscs.filter((c) => c.endpoint === victim);
    const before = new Map(kept.map((c) => [c.name, c.address]));
    await m.sb.stopEndpoint(victim, { graceful: false });
    await m.startEndpoint(victim, NAMES.indexOf(victim) % 2);
    await eventually(async () => {
      for (const c of kept) {
        expect([c.endpoint, c.address], c.name).toEqual([victim, before.get(c.name)]);
        // Its new DNS server (a new port here) is what the client is told now.
        expect(c.connection?.context?.dnsContext?.configs[0]?.dnsServerIps, c.name).toEqual([
          dnsOf(m, victim),
        ]);
      }
      for (const server of NAMES.map((n) => dnsOf(m, n))) {
        for (const c of nscs) {
          expect(await resolve(server, `${c.name}.vl3-service.`), `${c.name} at ${server}`).toEqual({
            rcode: "NOERROR",
            data: [host(c.address)],
          });
        }
      }
    }, 20_000);
  });
});
