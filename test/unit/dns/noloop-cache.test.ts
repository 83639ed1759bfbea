// The two small handlers between records and fanout: noloop (the same id and question coming back
// while in flight is SERVFAIL, NSM's loop guard) and cache (answers for their TTL, NXDOMAIN briefly,
// failures never, bounded in size). Driven through chain() with scripted next handlers.
import { describe, expect, it } from "vitest";
import { cache } from "../../../src/dns/cache.js";
import { chain, type DnsHandler } from "../../../src/dns/handler.js";
import { noloop } from "../../../src/dns/noloop.js";
import { type DnsMessage, replyTo } from "../../../src/dns/wire.js";
import { q } from "../../support/dns/upstream.js";

const req = (query: DnsMessage) => ({ query, deadline: Date.now() + 1000, from: "test" });

describe("noloop", () => {
  it("answers SERVFAIL to a query that comes back while the same one is in flight", async () => {
    let inner: DnsHandler = async () => replyTo(q("x."), "NOERROR");
    const h = chain([noloop()], (r) => inner(r));
    // The first query "goes round" and comes back to us with the same id while still pending.
    let looped: DnsMessage | undefined;
    inner = async (r) => {
      inner = async (r2) => replyTo(r2.query, "NOERROR");
      looped = await h(req(q("a.vl3.", "A", 9)));
      return replyTo(r.query, "NXDOMAIN");
    };
    const first = await h(req(q("a.vl3.", "A", 9)));
    expect(looped?.rcode).toBe("SERVFAIL");
    expect(first.rcode).toBe("NXDOMAIN");
    // Once done, the same id and question are served again.
    expect((await h(req(q("a.vl3.", "A", 9)))).rcode).toBe("NOERROR");
  });

  it("lets the same id through for another question", async () => {
    const h = chain([noloop()], async (r) => replyTo(r.query, "NOERROR"));
    const both = await Promise.all([h(req(q("a.", "A", 1))), h(req(q("b.", "A", 1)))]);
    expect(both.map((m) => m.rcode)).toEqual(["NOERROR", "NOERROR"]);
  });
});

describe("cache", () => {
  it("keeps an answer for its TTL, counting the TTL down; then asks again", async () => {
    let t = 1_000_000;
    let asked = 0;
    const h = chain([cache({ maxEntries: 10, negativeSeconds: 2, now: () => t })], async (r) => {
      asked++;
      return replyTo(r.query, "NOERROR", [
        { type: "A", name: "a.", ttl: 5, class: "IN", data: "172.16.0.9" },
      ]);
    });
    await h(req(q("a.", "A", 1)));
    t += 3000;
    const hit = await h(req(q("A.", "A", 2)));
    expect([
      asked,
      hit.id,
      (hit.answers[0] as { ttl?: number } | undefined)?.ttl,
      hit.questions[0]?.name,
    ]).toEqual([1, 2, 2, "A."]);
    t += 2001;
    await h(req(q("a.", "A", 3)));
    expect(asked).toBe(2);
  });

  it("keeps NXDOMAIN briefly and never keeps a failure", async () => {
    let t = 0;
    let rcode: "NXDOMAIN" | "SERVFAIL" = "SERVFAIL";
    let asked = 0;
    const h = chain([cache({ maxEntries: 10, negativeSeconds: 2, now: () => t })], async (r) => {
      asked++;
      return replyTo(r.query, rcode);
    });
    await h(req(q("n.")));
    await h(req(q("n.")));
    expect(asked).toBe(2);
    rcode = "NXDOMAIN";
    await h(req(q("n.")));
    await h(req(q("n.")));
    expect(asked).toBe(3);
    t += 2001;
    await h(req(q("n.")));
    expect(asked).toBe(4);
  });

  it("holds at most maxEntries, dropping the oldest", async () => {
    let asked = 0;
    const h = chain([cache({ maxEntries: 2, negativeSeconds: 60 })], async (r) => {
      asked++;
      return replyTo(r.query, "NXDOMAIN");
    });
    for (const n of ["a.", "b.", "c.", "a."]) await h(req(q(n)));
    expect(asked).toBe(4);
  });
});
