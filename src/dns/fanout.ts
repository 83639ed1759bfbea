// The last handler: asks every peer endpoint's DNS server at once (NSM's fanout) and relays the
// first NOERROR. Each ask is bounded by the query's deadline and by a per-peer timeout, so a dead
// peer costs at most that. The question goes out without recursion desired, so a peer answers from
// its own names only and never fans out again: no query can go round the mesh.
import type { DnsHandler } from "./handler.js";
import { type DnsMessage, replyTo } from "./wire.js";

export interface FanoutOptions {
  /** The DNS servers of the peers, now ("host" or "host:port"). */
  upstreams(): string[];
  /** One exchange with one server (client.ts's `exchange`; a fake in tests). */
  exchange(server: string, query: DnsMessage, deadline: number): Promise<DnsMessage>;
  /** Longest wait for one peer, whatever the query's deadline. */
  timeoutMs: number;
  now?: () => number;
}

/**
 * NOERROR from anyone wins at once. NXDOMAIN when every peer said NXDOMAIN (or there is no peer): the
 * name exists nowhere. SERVFAIL when a peer failed or timed out and nobody had the name.
 */
export function fanout(o: FanoutOptions): DnsHandler {
  const now = o.now ?? Date.now;
  return async ({ query, deadline }) => {
    const servers = o.upstreams();
    if (servers.length === 0) return replyTo(query, "NXDOMAIN");
    const until = Math.min(deadline, now() + o.timeoutMs);
    const ask = { ...query, recursionDesired: false };
    return new Promise<DnsMessage>((resolve) => {
      let pending = servers.length;
      let failed = false;
      const settle = () => {
        if (--pending === 0) resolve(replyTo(query, failed ? "SERVFAIL" : "NXDOMAIN"));
      };
      for (const server of servers) {
        o.exchange(server, ask, until).then(
          (reply) => {
            if (reply.rcode === "NOERROR") {
              resolve({ ...replyTo(query, "NOERROR", reply.answers), authorities: reply.authorities });
              return;
            }
            if (reply.rcode !== "NXDOMAIN") failed = true;
            settle();
          },
          () => {
            failed = true;
            settle();
          },
        );
      }
    });
  };
}
