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

/** One ask of the fanout to one peer, as a recording exchange saw it: its deadline, then its outcome. */
interface Asked {
  server: string;
  deadline: number;
  outcome?: string;
}

/**
 * Runs the fanout over real UDP with a fixed clock (`now` is t0), recording each exchange: so a test
 * reads the deadline each peer was given and which peers had answered when the fanout did.
 */
function ask(servers: string[], name: string, o: { timeoutMs?: number; deadlineMs?: number } = {}) {
  const t0 = Date.now();
  const asked: Asked[] = [];
  const recording: typeof exchange = (server, query, deadline) => {
    const a: Asked = { server, deadline };
    asked.push(a);
    return exchange(server, query, deadline).then(
      (reply) => {
        a.outcome = reply.rcode;
        return reply;
      },
      (error: Error) => {
        a.outcome = error.name;
        throw error;
      },
    );
  };
  const handler = fanout({
    upstreams: () => servers,
    exchange: recording,
    timeoutMs: o.timeoutMs ?? 1000,
    now: () => t0,
  });
  const reply = handler({ query: q(name), deadline: t0 + (o.deadlineMs ?? 5000), from: "test" });
  return Object.assign(reply, { t0, asked });
}

/** What each peer had done when the fanout answered, by server. */
const outcomes = (asked: Asked[]) => Object.fromEntries(asked.map((a) => [a.server, a.outcome ?? "pending"]));

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
    const asking = ask(
      peers.map((p) => p.address),
      "nosuch.vl3-dns.",
      { timeoutMs: 10 * 60_000, deadlineMs: 10 * 60_000 },
    );
    const r = await asking;
    expect(r.rcode).toBe("NXDOMAIN");
    // Every peer had answered NXDOMAIN when the fanout did, and no ask timed out: with ten minutes
    // allowed for each, the answer came from the peers, not from a timer.
    expect(outcomes(asking.asked)).toEqual(Object.fromEntries(peers.map((p) => [p.address, "NXDOMAIN"])));
  });

  it("with no peers at all, the name exists nowhere: NXDOMAIN", async () => {
    expect((await ask([], "nosuch.vl3-dns.")).rcode).toBe("NXDOMAIN");
  });

  it("a dead peer costs at most the per-peer timeout; a live peer's answer still wins at once", async () => {
    const dead = await peer({}, { silent: true });
    const live = await peer({ "alpine-3.vl3-dns.": "172.16.2.2" });
    const hitting = ask([dead.address, live.address], "alpine-3.vl3-dns.", { timeoutMs: 30_000 });
    const hit = await hitting;
    expect(dataOf(hit)).toEqual(["172.16.2.2"]);
    // The live peer's answer was relayed while the dead one was still being waited for.
    expect(outcomes(hitting.asked)).toEqual({ [dead.address]: "pending", [live.address]: "NOERROR" });

    const missing = ask([dead.address, live.address], "nosuch.vl3-dns.", { timeoutMs: 300 });
    const miss = await missing;
    expect(miss.rcode).toBe("SERVFAIL");
    // Each peer was given the per-peer timeout (not the query's 5 s), and the dead one used it up.
    expect(missing.asked.map((a) => a.deadline - missing.t0)).toEqual([300, 300]);
    expect(outcomes(missing.asked)).toEqual({
      [dead.address]: "DnsTimeoutError",
      [live.address]: "NXDOMAIN",
    });
  });

  it("the query's own deadline bounds the wait when it is nearer than the timeout", async () => {
    const dead = await peer({}, { silent: true });
    const asking = ask([dead.address], "x.vl3-dns.", { timeoutMs: 60_000, deadlineMs: 300 });
    const r = await asking;
    expect(r.rcode).toBe("SERVFAIL");
    // The peer was given the query's deadline, not the minute of the per-peer timeout, and timed out.
    expect(asking.asked.map((a) => [a.deadline - asking.t0, a.outcome])).toEqual([[300, "DnsTimeoutError"]]);
  });

  it("a peer that fails (SERVFAIL, as NSM's vL3 does for unknown names) makes a miss SERVFAIL", async () => {
    const nsm = await peer({}, { rcodeForUnknown: "SERVFAIL" });
    const ours = await peer({});
    expect((await ask([nsm.address, ours.address], "nosuch.vl3-dns.")).rcode).toBe("SERVFAIL");
  });
});
