// A mesh of both kinds: vl3-nse endpoints (NSM_MIXED_FLEET=true) and emulated NSM Go vL3 endpoints
// (test/support/nsm-vl3), started in turns so that NSM's rule (the newer dials every older one)
// meets ours (by name) in every combination. With path tokens (the default; NSM's Go tokens carry no
// x5c) every pair links except where a newer NSM endpoint dials an older vl3-nse: its identity is
// claimed, not proven, so that dial is served as an NSC's. With mTLS only, every pair links. Either
// way every client's name resolves at the DNS servers whose fanout reaches its endpoint.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { exchange } from "../../../src/dns/client.js";
import { parseCidr } from "../../../src/ipam/cidr.js";
import type { Nsc } from "../../../src/sandbox/nsc.js";
import { dataOf, q } from "../../support/dns/upstream.js";
import { NsmVl3Endpoint } from "../../support/nsm-vl3/endpoint.js";
import { eventually, Mesh, QUICK } from "./helpers.js";

let mesh: Mesh | undefined;
const nsms: NsmVl3Endpoint[] = [];
let dir: string | undefined;
afterEach(async () => {
  await Promise.all(nsms.splice(0).map((n) => n.stop()));
  await mesh?.stop();
  mesh = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function startNsm(m: Mesh, name: string, node: number): Promise<NsmVl3Endpoint> {
  // Its SVID and NSM's tokens (no x5c) when the sandbox runs path tokens (its default).
  const { transport, identity } = await m.sb.trustDomain!.security(name, "vl3");
  const nsm = new NsmVl3Endpoint({
    name,
    service: m.sb.service,
    nsmgr: m.sb.nsmgrs[node]!.url,
    registry: m.sb.registry.url,
    prefixServer: m.sb.prefixServer.url,
    listenOn: `unix://${join(dir!, `${name}.sock`)}`,
    pool: "172.16.0.0/16",
    lifetimeMs: QUICK.lifetimeMs!,
    expiryMs: QUICK.registryExpiryMs!,
    transport,
    identity: m.sb.pathTokens ? identity : undefined,
  });
  nsms.push(nsm);
  await nsm.start();
  return nsm;
}

/** Our peer actor for `peer` is up (dialled or accepted). */
function linked(m: Mesh, ours: string, peer: string): boolean {
  return m.peers(ours).some((p) => p.subject.peer === peer && p.state.startsWith("up"));
}

describe.each([
  { tokens: true, what: "path tokens on every hop (the default)" },
  { tokens: false, what: "mTLS without path tokens" },
])("a mixed fleet of vl3-nse and NSM's vL3 endpoints, $what", ({ tokens }) => {
  it("links every pair it can prove by both rules, and every client's name resolves", async () => {
    dir = mkdtempSync(join(tmpdir(), "vl3-mixed-"));
    const m = await Mesh.start({
      ...QUICK,
      pathTokens: tokens,
      endpointSettings: { NSM_MIXED_FLEET: "true" },
    });
    mesh = m;
    // Registration order: nsm-1, vl3-a, nsm-2, vl3-b (each waits for the one before).
    const nsm1 = await startNsm(m, "nsm-1", 0);
    await m.startEndpoint("vl3-a", 1);
    await eventually(
      () => expect(m.nse("vl3-a").mesh!.registration.initialRegistrationTime).toBeDefined(),
      5000,
    );
    const nsm2 = await startNsm(m, "nsm-2", 1);
    await m.startEndpoint("vl3-b", 0);

    // nsm-2 → vl3-a is the one link whose dialler vl3-a cannot prove with tokens on (no x5c, never met).
    const pairs = [
      ["vl3-a", "vl3-b"],
      ["vl3-b", "vl3-a"],
      ["vl3-a", "nsm-1"],
      ["vl3-b", "nsm-1"],
      ["vl3-b", "nsm-2"],
      ...(tokens ? [] : [["vl3-a", "nsm-2"]]),
    ] as const;
    await eventually(() => {
      // vl3-nse ↔ vl3-nse: by name. vl3-nse → older NSM endpoints: we dial. Newer NSM → us: they dial.
      expect(m.peers("vl3-a").find((p) => p.subject.peer === "nsm-1")?.subject.role).toBe("dial");
      expect(m.peers("vl3-a").find((p) => p.subject.peer === "nsm-2")?.subject.role).toBe("accept");
      expect(m.peers("vl3-b").find((p) => p.subject.peer === "nsm-2")?.subject.role).toBe("dial");
      for (const [a, b] of pairs) expect(linked(m, a, b), `${a} linked with ${b}`).toBe(true);
      // The NSM endpoints: nsm-2 dialled nsm-1 and vl3-a; nobody else dials them but us.
      expect([...nsm2.dialled.keys()].sort()).toEqual(["nsm-1", "vl3-a"]);
      expect([...nsm1.dialled.keys()]).toEqual([]);
      expect(m.servedLinks("vl3-a")).toHaveLength(tokens ? 0 : 1);
    }, 20_000);
    const routes = await m.routes("vl3-a");
    if (tokens) {
      // Served as an NSC: an address of vl3-a's own prefix, no route to nsm-2's prefix, no peer link.
      const answer = nsm2.dialled.get("vl3-a")!;
      const given = answer.context!.ipContext!.srcIpAddrs.at(-1)!;
      expect(parseCidr(m.nse("vl3-a").endpoint.prefix!).containsCidr(parseCidr(given))).toBe(true);
      expect(routes).not.toContain(nsm2.state.prefix.toString());
      expect(linked(m, "vl3-a", "nsm-2")).toBe(false);
    } else {
      // nsm-2's link to vl3-a was served as a peer's: no address of vl3-a's prefix given to it.
      const served = m.servedLinks("vl3-a");
      expect(served[0]!.addresses).toEqual([nsm2.state.self]);
    }
    // vl3-a routes nsm-1's prefix to it, but not the unmasked pool-wide route NSM's answer also has.
    expect(routes).toContain(nsm1.state.prefix.toString());
    expect(routes.filter((r) => r.endsWith("/16"))).toEqual([]);

    const clients: Nsc[] = [];
    for (let i = 0; i < 8; i++) clients.push(await m.sb.startClient(`w-${i}`, { node: i % 2 }));
    expect(new Set(clients.map((c) => c.endpoint)).size).toBe(4);
    // vl3-b is linked with all three others either way; all four DNS servers are, without tokens.
    const servers = [
      m.nse("vl3-b").dns!.address()!,
      ...(tokens ? [] : [m.nse("vl3-a").dns!.address()!, nsm1.dnsAddress, nsm2.dnsAddress]),
    ];
    await eventually(async () => {
      for (const server of servers) {
        for (const c of clients) {
          const r = await exchange(server, q(`${c.name}.vl3-service.`), Date.now() + 5000);
          expect([r.rcode, dataOf(r)], `${c.name} (on ${c.endpoint}) at ${server}`).toEqual([
            "NOERROR",
            [c.address!.split("/")[0]],
          ]);
        }
      }
    }, 15_000);
  });
});
