// Keeps what the fanout learnt for as long as its records' TTL says (short: the vL3's names move
// with their workloads), and a "nowhere" (NXDOMAIN) for `negativeSeconds`, so that a hot name does
// not cost a round to every peer per query. Failures are never kept. Bounded in size.
import type { DnsElement } from "./handler.js";
import type { DnsMessage } from "./wire.js";

export interface CacheOptions {
  maxEntries: number;
  negativeSeconds: number;
  now?: () => number;
}

export function cache(o: CacheOptions): DnsElement {
  const now = o.now ?? Date.now;
  const entries = new Map<string, { reply: DnsMessage; storedAt: number; expiresAt: number }>();
  return (next) => async (request) => {
    const { query } = request;
    const q = query.questions[0]!;
    const key = `${q.type} ${q.name.toLowerCase()}`;
    const hit = entries.get(key);
    const t = now();
    if (hit && hit.expiresAt > t) {
      const age = Math.floor((t - hit.storedAt) / 1000);
      return {
        ...hit.reply,
        id: query.id,
        questions: query.questions,
        recursionDesired: query.recursionDesired,
        answers: hit.reply.answers.map((a) =>
          "ttl" in a ? { ...a, ttl: Math.max(0, (a.ttl ?? 0) - age) } : a,
        ),
      };
    }
    if (hit) entries.delete(key);
    const reply = await next(request);
    const seconds =
      reply.rcode === "NXDOMAIN"
        ? o.negativeSeconds
        : reply.rcode === "NOERROR" && reply.answers.length > 0
          ? Math.min(...reply.answers.map((a) => ("ttl" in a ? (a.ttl ?? 0) : 0)))
          : 0;
    if (seconds > 0) {
      if (entries.size >= o.maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(key, { reply, storedAt: t, expiresAt: t + seconds * 1000 });
    }
    return reply;
  };
}
