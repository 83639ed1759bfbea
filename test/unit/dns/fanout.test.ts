// The fanout handler against fake peer DNS servers on loopback UDP: the first NOERROR wins, a miss
// is NXDOMAIN once every peer said so, and a dead or failing peer makes it SERVFAIL after the
// configured per-peer timeout or the query's deadline, whichever is nearer.
import { afterEach, describe, expect, it } from "vitest";
import { exchange } from "../../../src/dns/client.js";
import { fanout } from "../../../src/dns/fanout.js";
import { dataOf, type FakeUpstream, fakeUpstream, q } from "../../support/dns/upstream.js";

const upstreams: FakeUpstream[] = [];
afterEach(async () => {
  await Promise.all(upstreams.splice(0).map((u) => u.close()));
});

async function peer(names: Record<string, string>, o: Parameters<typeof fakeUpstream>[1] = {}) {
  const u = await fakeUpstream(names, o);
  upstreams.push(u);
  return u;
}

const ask = (servers: string[], name: string, o: { timeoutMs?: number; deadlineMs?: number } = {}) =>
  fanout({ upstreams: () => servers, exchange, timeoutMs: o.timeoutMs ?? 1000 })({
    query: q(name),
    deadline: Date.now() + (o.deadlineMs ?? 5000),
    from: "test",
  });

describe("fanout to the peers' DNS servers (real UDP on loopback)", () => {
  it("relays the first NOERROR, with the asker's id and question", async () => {
    const a = await peer({});
    const b = await peer({ "alpine-2.vl3-dns.": "172.16.1.2" });
    const r = await ask([a.address, b.address], "alpine-2.vl3-dns.");
    expect([r.rcode, r.id, r.response]).toEqual(["NOERROR", 4242, true]);
    expect(dataOf(r)).toEqual(["172.16.1.2"]);
  });

  it("asks every peer without recursion desired, so that no peer fans out again", async () => {
    const a = await peer({});
    await ask([a.address], "x.vl3-dns.");
    expect(a.seen.map((m) => [m.id, m.recursionDesired])).toEqual([[4242, false]]);
  });

  it("a name no peer holds is NXDOMAIN, as soon as every peer has said so", async () => {
    const peers = await Promise.all([peer({}), peer({}), peer({})]);
    const started = Date.now();
    const r = await ask(
      peers.map((p) => p.address),
      "nosuch.vl3-dns.",
      { timeoutMs: 10_000 },
    );
    expect(r.rcode).toBe("NXDOMAIN");
    // Well inside the 10 s per-peer timeout: nobody waited for a timer.
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("with no peers at all, the name exists nowhere: NXDOMAIN", async () => {
    expect((await ask([], "nosuch.vl3-dns.")).rcode).toBe("NXDOMAIN");
  });

  it("a dead peer costs at most the per-peer timeout; a live peer's answer still wins at once", async () => {
    const dead = await peer({}, { silent: true });
    const live = await peer({ "alpine-3.vl3-dns.": "172.16.2.2" });
    const hit = await ask([dead.address, live.address], "alpine-3.vl3-dns.", { timeoutMs: 30_000 });
    expect(dataOf(hit)).toEqual(["172.16.2.2"]);

    const started = Date.now();
    const miss = await ask([dead.address, live.address], "nosuch.vl3-dns.", { timeoutMs: 300 });
    expect(miss.rcode).toBe("SERVFAIL");
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it("the query's own deadline bounds the wait when it is nearer than the timeout", async () => {
    const dead = await peer({}, { silent: true });
    const started = Date.now();
    const r = await ask([dead.address], "x.vl3-dns.", { timeoutMs: 60_000, deadlineMs: 300 });
    expect(r.rcode).toBe("SERVFAIL");
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it("a peer that fails (SERVFAIL, as NSM's vL3 does for unknown names) makes a miss SERVFAIL", async () => {
    const nsm = await peer({}, { rcodeForUnknown: "SERVFAIL" });
    const ours = await peer({});
    expect((await ask([nsm.address, ours.address], "nosuch.vl3-dns.")).rcode).toBe("SERVFAIL");
  });
});
