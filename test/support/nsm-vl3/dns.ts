// The Go vL3 endpoint's DNS server (sdk dnsutils: noloop → norecursion → memory → fanout), written
// from the reference for mixed-fleet tests, on the project's own listeners: exact-case names, TTL
// 3600, fanout keeping the message id, SERVFAIL for anything nobody has.
import { exchange } from "../../../src/dns/client.js";
import { chain, type DnsElement, type DnsHandler } from "../../../src/dns/handler.js";
import { type DnsServer, startDnsServer } from "../../../src/dns/server.js";
import { type DnsMessage, replyTo } from "../../../src/dns/wire.js";
import { silentLogger } from "../../../src/log.js";

export function nsmDnsHandler(records: Map<string, string[]>, targets: () => string[]): DnsHandler {
  const inFlight = new Set<number>();
  const noloop: DnsElement = (next) => async (r) => {
    if (inFlight.has(r.query.id)) return replyTo(r.query, "SERVFAIL");
    inFlight.add(r.query.id);
    try {
      return await next(r);
    } finally {
      inFlight.delete(r.query.id);
    }
  };
  const norecursion: DnsElement = (next) => (r) =>
    next({ ...r, query: { ...r.query, recursionDesired: false, recursionAvailable: false } });
  const memory: DnsElement = (next) => async (r) => {
    const q = r.query.questions[0];
    if (!q) return replyTo(r.query, "SERVFAIL");
    const ips = records.get(`${q.name}.`);
    if (ips) {
      const family = q.type === "A" ? (ip: string) => !ip.includes(":") : (ip: string) => ip.includes(":");
      const answers = ips
        .filter((ip) => (q.type === "A" || q.type === "AAAA") && family(ip))
        .map((data) => ({ type: q.type as "A", name: q.name, ttl: 3600, class: "IN" as const, data }));
      return replyTo(r.query, "NOERROR", answers, { authoritative: true });
    }
    return next(r);
  };
  const fanout: DnsHandler = async ({ query, deadline }) => {
    const all = targets();
    if (all.length === 0) return replyTo(query, "SERVFAIL");
    return new Promise<DnsMessage>((resolve) => {
      let left = all.length;
      for (const t of all) {
        exchange(t, query, deadline)
          .then((reply) => {
            if (reply.rcode === "NOERROR") resolve({ ...reply, id: query.id });
            else if (--left === 0) resolve(replyTo(query, "SERVFAIL"));
          })
          .catch(() => {
            if (--left === 0) resolve(replyTo(query, "SERVFAIL"));
          });
      }
    });
  };
  return chain([noloop, norecursion, memory], fanout);
}

export function startNsmDns(handler: DnsHandler): Promise<DnsServer> {
  return startDnsServer({ host: "127.0.0.1", port: 0, handler, log: silentLogger() });
}
