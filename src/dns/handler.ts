// The DNS chain, shaped like the NetworkService chain (src/chain/types.ts): each handler does one
// thing to a query and calls the next; the last one answers. The server (server.ts) runs it with a
// deadline per query.
import { type DnsMessage, replyTo } from "./wire.js";

export interface DnsRequest {
  query: DnsMessage;
  /** Epoch ms by which the asker needs the answer. */
  deadline: number;
  /** Where the query came from ("udp 127.0.0.1:53211"), for logs. */
  from: string;
}

export type DnsHandler = (request: DnsRequest) => Promise<DnsMessage>;
export type DnsElement = (next: DnsHandler) => DnsHandler;

/** Builds the chain: the first element sees the query first. */
export function chain(elements: DnsElement[], last: DnsHandler): DnsHandler {
  return elements.reduceRight<DnsHandler>((next, element) => element(next), last);
}

/** The end of a chain that found nothing to say: SERVFAIL, as NSM's chain ends. */
export const servfail: DnsHandler = async ({ query }) => replyTo(query, "SERVFAIL");

/**
 * What every query must be before anything else looks at it: a standard QUERY with exactly one
 * question (FORMERR or NOTIMP otherwise, as RFC 1035 has it).
 */
export const checkQuery: DnsElement = (next) => async (request) => {
  const { query } = request;
  if (query.response) return replyTo(query, "FORMERR");
  if (query.opcode !== "QUERY") return replyTo(query, "NOTIMP");
  if (query.questions.length !== 1) return replyTo(query, "FORMERR");
  return next(request);
};
