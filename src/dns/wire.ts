// The only place that turns DNS messages into bytes and back (dns-packet underneath). The rest of
// the DNS room works on DnsMessage, with the header flags and the rcode spelled out, so that no
// handler ever touches a bit mask or a buffer.
import packet from "dns-packet";

export type RecordType = packet.RecordType;
export type Question = packet.Question;
export type Answer = packet.Answer;
export type Rcode = "NOERROR" | "FORMERR" | "SERVFAIL" | "NXDOMAIN" | "NOTIMP" | "REFUSED";

export interface DnsMessage {
  id: number;
  response: boolean;
  opcode: string;
  rcode: Rcode | string;
  authoritative: boolean;
  truncated: boolean;
  recursionDesired: boolean;
  recursionAvailable: boolean;
  questions: Question[];
  answers: Answer[];
  authorities: Answer[];
  additionals: Answer[];
}

export class DnsWireError extends Error {
  constructor(
    message: string,
    /** The message id when the header could be read: the sender can then be told FORMERR. */
    readonly id?: number,
  ) {
    super(message);
    this.name = "DnsWireError";
  }
}

const RCODES: Record<string, number> = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
};
const OPCODES: Record<string, number> = { QUERY: 0, IQUERY: 1, STATUS: 2, NOTIFY: 4, UPDATE: 5 };

export function decodeMessage(buf: Buffer): DnsMessage {
  if (buf.length < 12) throw new DnsWireError(`a DNS message has a 12-byte header; got ${buf.length} bytes`);
  let p: packet.DecodedPacket;
  try {
    p = packet.decode(buf);
  } catch (error) {
    throw new DnsWireError(`malformed DNS message: ${(error as Error).message}`, buf.readUInt16BE(0));
  }
  const d = p as packet.DecodedPacket & { opcode?: string; rcode?: string };
  return {
    id: p.id ?? 0,
    response: d.flag_qr,
    opcode: d.opcode ?? "QUERY",
    rcode: d.rcode ?? "NOERROR",
    authoritative: d.flag_aa,
    truncated: d.flag_tc,
    recursionDesired: d.flag_rd,
    recursionAvailable: d.flag_ra,
    questions: p.questions ?? [],
    answers: p.answers ?? [],
    authorities: p.authorities ?? [],
    additionals: p.additionals ?? [],
  };
}

export function encodeMessage(m: DnsMessage): Buffer {
  const flags =
    ((OPCODES[m.opcode] ?? 0) << 11) |
    (m.authoritative ? packet.AUTHORITATIVE_ANSWER : 0) |
    (m.truncated ? packet.TRUNCATED_RESPONSE : 0) |
    (m.recursionDesired ? packet.RECURSION_DESIRED : 0) |
    (m.recursionAvailable ? packet.RECURSION_AVAILABLE : 0) |
    ((RCODES[m.rcode] ?? Number(/^RCODE_(\d+)$/.exec(m.rcode)?.[1] ?? 2)) & 0xf);
  return packet.encode({
    type: m.response ? "response" : "query",
    id: m.id,
    flags,
    questions: m.questions,
    answers: m.answers,
    authorities: m.authorities,
    additionals: m.additionals,
  });
}

/**
 * Encodes a reply for UDP: if it does not fit in `maxBytes` (512, or what the query's EDNS record
 * offered), it goes out truncated (TC set, no records) so that the client asks again over TCP.
 */
export function encodeForUdp(m: DnsMessage, maxBytes: number): Buffer {
  const buf = encodeMessage(m);
  if (buf.length <= maxBytes) return buf;
  return encodeMessage({ ...m, truncated: true, answers: [], authorities: [], additionals: [] });
}

/** The UDP payload size a query says it can take (its EDNS OPT record), at least 512. */
export function udpSizeOf(query: DnsMessage): number {
  const opt = query.additionals.find((a) => a.type === "OPT") as { udpPayloadSize?: number } | undefined;
  return Math.max(512, Math.min(opt?.udpPayloadSize ?? 512, 65_535));
}

/** A query for `name` (tests, the benchmark, the fanout's own client). */
export function queryMessage(
  id: number,
  name: string,
  type: RecordType,
  recursionDesired = true,
): DnsMessage {
  return {
    id,
    response: false,
    opcode: "QUERY",
    rcode: "NOERROR",
    authoritative: false,
    truncated: false,
    recursionDesired,
    recursionAvailable: false,
    questions: [{ name, type, class: "IN" }],
    answers: [],
    authorities: [],
    additionals: [],
  };
}

/** A reply made from a query: same id and question, the given rcode and records. */
export function replyTo(
  query: DnsMessage,
  rcode: Rcode,
  answers: Answer[] = [],
  o: { authoritative?: boolean } = {},
): DnsMessage {
  return {
    ...query,
    response: true,
    rcode,
    authoritative: o.authoritative ?? false,
    truncated: false,
    recursionAvailable: false,
    answers,
    authorities: [],
    additionals: [],
  };
}

/** DNS-over-TCP frames each message with a two-byte length. */
export function frame(buf: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(buf.length);
  return Buffer.concat([len, buf]);
}

/** Splits complete frames off a TCP byte stream; returns them and what is left over. */
export function unframe(data: Buffer): { frames: Buffer[]; rest: Buffer } {
  const frames: Buffer[] = [];
  let at = 0;
  while (data.length - at >= 2) {
    const len = data.readUInt16BE(at);
    if (data.length - at - 2 < len) break;
    frames.push(data.subarray(at + 2, at + 2 + len));
    at += 2 + len;
  }
  return { frames, rest: data.subarray(at) };
}
