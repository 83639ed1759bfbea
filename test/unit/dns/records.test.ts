// The records handler: the endpoint's own names (its clients and itself) answered from memory as
// A, AAAA and PTR, following connection changes; names it does not hold go on to the next handler,
// or are NXDOMAIN for a peer's fanout (no recursion desired).
import { describe, expect, it } from "vitest";
import { chain, servfail } from "../../../src/dns/handler.js";
import { addressOfReverseName, RecordBook, records } from "../../../src/dns/records.js";
import type { DnsMessage } from "../../../src/dns/wire.js";
import { dataOf, q } from "../../support/dns/upstream.js";

function book(): RecordBook {
  const b = new RecordBook();
  b.set("connection/c1", ["alpine-1.vl3-dns."], ["172.16.0.2/32"]);
  b.set("connection/c2", ["dual.vl3-dns."], ["172.16.0.3/32", "2001:db8::3/128"]);
  b.set("self", ["nse-a.vl3-dns."], ["172.16.0.1/32"]);
  return b;
}

/** The records handler with a recording next handler behind it. */
function handler(b = book()) {
  const passed: DnsMessage[] = [];
  const h = chain([records(b, 5)], async (r) => {
    passed.push(r.query);
    return servfail(r);
  });
  return { ask: (query: DnsMessage) => h({ query, deadline: Date.now() + 1000, from: "test" }), passed };
}

describe("records: the endpoint's own names", () => {
  it("answers A authoritatively with the TTL, from memory, case-insensitively", async () => {
    const r = await handler().ask(q("Alpine-1.VL3-dns."));
    expect(r.rcode).toBe("NOERROR");
    expect(r.authoritative).toBe(true);
    expect(r.answers).toEqual([
      { type: "A", name: "Alpine-1.VL3-dns.", ttl: 5, class: "IN", data: "172.16.0.2" },
    ]);
  });

  it("answers AAAA with the IPv6 address, and an empty NOERROR for a name without one", async () => {
    const h = handler();
    expect(dataOf(await h.ask(q("dual.vl3-dns.", "AAAA")))).toEqual(["2001:db8::3"]);
    const none = await h.ask(q("alpine-1.vl3-dns.", "AAAA"));
    expect([none.rcode, none.answers]).toEqual(["NOERROR", []]);
    expect(h.passed).toEqual([]);
  });

  it("answers PTR for clients and for the endpoint itself (IPv4 and IPv6)", async () => {
    const h = handler();
    expect(dataOf(await h.ask(q("2.0.16.172.in-addr.arpa.", "PTR")))).toEqual(["alpine-1.vl3-dns."]);
    expect(dataOf(await h.ask(q("1.0.16.172.in-addr.arpa.", "PTR")))).toEqual(["nse-a.vl3-dns."]);
    const v6 = `3.0.0.0.${"0.".repeat(20)}8.b.d.0.1.0.0.2.ip6.arpa.`;
    expect(dataOf(await h.ask(q(v6, "PTR")))).toEqual(["dual.vl3-dns."]);
  });

  it("passes names it does not hold on, unless the asker wants no recursion (a peer's fanout): NXDOMAIN", async () => {
    const h = handler();
    expect((await h.ask(q("alpine-2.vl3-dns."))).rcode).toBe("SERVFAIL");
    expect(h.passed.map((m) => m.questions[0]!.name)).toEqual(["alpine-2.vl3-dns."]);
    const local = await h.ask(q("alpine-2.vl3-dns.", "A", 7, false));
    expect([local.rcode, local.authoritative]).toEqual(["NXDOMAIN", true]);
    expect(h.passed).toHaveLength(1);
  });

  it("follows changes: a moved or closed connection's name moves or goes", async () => {
    const b = book();
    const h = handler(b);
    b.set("connection/c1", ["alpine-1.vl3-dns."], ["172.16.1.7/32"]);
    expect(dataOf(await h.ask(q("alpine-1.vl3-dns.")))).toEqual(["172.16.1.7"]);
    b.delete("connection/c1");
    expect(b.lookup("alpine-1.vl3-dns.")).toBeUndefined();
    expect(b.reverse("172.16.1.7")).toEqual([]);
  });

  it("reads reverse names, and nothing else as one", () => {
    expect(addressOfReverseName("2.0.16.172.in-addr.arpa.")).toBe("172.16.0.2");
    expect(addressOfReverseName("2.0.16.in-addr.arpa.")).toBeUndefined();
    expect(addressOfReverseName("999.0.16.172.in-addr.arpa.")).toBeUndefined();
    expect(addressOfReverseName("alpine.vl3-dns.")).toBeUndefined();
  });
});
