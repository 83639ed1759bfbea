// A tiny DNS server for tests: answers A records from a fixed table, NXDOMAIN otherwise, or stays
// silent (a dead peer) - on a real UDP and TCP socket on loopback, through the project's own server.
import { chain, type DnsHandler } from "../../../src/dns/handler.js";
import { type DnsServer, startDnsServer } from "../../../src/dns/server.js";
import { type DnsMessage, queryMessage, replyTo } from "../../../src/dns/wire.js";
import { silentLogger } from "../../../src/log.js";

export interface FakeUpstream {
  address: string;
  /** Queries it saw (after decoding). */
  seen: DnsMessage[];
  server: DnsServer;
  close(): Promise<void>;
}

export async function fakeUpstream(
  names: Record<string, string>,
  o: { silent?: boolean; rcodeForUnknown?: "NXDOMAIN" | "SERVFAIL" } = {},
): Promise<FakeUpstream> {
  const seen: DnsMessage[] = [];
  const answer: DnsHandler = async ({ query }) => {
    seen.push(query);
    if (o.silent) return new Promise<DnsMessage>(() => {}); // never answers
    const q = query.questions[0]!;
    // The wire has no trailing dot; the table is written with one.
    const ip = names[`${q.name.toLowerCase().replace(/\.$/, "")}.`];
    if (!ip) return replyTo(query, o.rcodeForUnknown ?? "NXDOMAIN");
    const data = [{ type: "A" as const, name: q.name, ttl: 5, class: "IN" as const, data: ip }];
    return replyTo(query, "NOERROR", q.type === "A" ? data : [], { authoritative: true });
  };
  const server = await startDnsServer({
    host: "127.0.0.1",
    port: 0,
    handler: chain([], answer),
    log: silentLogger(),
    timeoutMs: 60_000,
  });
  return { address: `127.0.0.1:${server.port}`, seen, server, close: () => server.close() };
}

export const q = (name: string, type: "A" | "AAAA" | "PTR" = "A", id = 4242, rd = true) =>
  queryMessage(id, name, type, rd);

/** The data of each answer record, as text. */
export const dataOf = (m: DnsMessage) => m.answers.map((a) => ("data" in a ? String(a.data) : ""));
