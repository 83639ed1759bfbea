// CIDR values for IPv4 and IPv6 with BigInt arithmetic over ipaddr.js parsing.
import ipaddr from "ipaddr.js";

/** A malformed CIDR or address; `field` names where it came from (a request field or a config key). */
export class CidrError extends Error {
  override name = "CidrError";
  constructor(
    readonly field: string,
    readonly value: string,
    detail: string,
  ) {
    super(`${field}: "${value}" ${detail}`);
  }
}

export type Family = 4 | 6;

export function addressToBigInt(addr: ipaddr.IPv4 | ipaddr.IPv6): bigint {
  let n = 0n;
  for (const b of addr.toByteArray()) n = (n << 8n) | BigInt(b);
  return n;
}

export function bigIntToAddress(n: bigint, family: Family): string {
  if (family === 4) {
    // Dotted decimal straight from the number: the formatting every allocation pays for.
    const v = Number(n);
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }
  const bytes = new Array<number>(16);
  for (let i = 15; i >= 0; i--) {
    bytes[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return ipaddr.fromByteArray(bytes).toString();
}

export class Cidr {
  /** Network address (host bits cleared) as an integer. */
  readonly network: bigint;
  /** toString's text, made once: a prefix is written into every answer and route that names it. */
  private text?: string;

  constructor(
    readonly family: Family,
    network: bigint,
    readonly bits: number,
  ) {
    const hostBits = BigInt(this.maxBits - bits);
    this.network = (network >> hostBits) << hostBits;
  }

  get maxBits(): number {
    return this.family === 4 ? 32 : 128;
  }

  get size(): bigint {
    return 1n << BigInt(this.maxBits - this.bits);
  }

  get last(): bigint {
    return this.network + this.size - 1n;
  }

  contains(n: bigint): boolean {
    return n >= this.network && n <= this.last;
  }

  containsCidr(other: Cidr): boolean {
    return other.family === this.family && other.bits >= this.bits && this.contains(other.network);
  }

  overlaps(other: Cidr): boolean {
    return other.family === this.family && this.network <= other.last && other.network <= this.last;
  }

  /** The n-th address of the prefix, as a string. */
  addressAt(offset: bigint): string {
    return bigIntToAddress(this.network + offset, this.family);
  }

  /** A host route to one address of this family ("a.b.c.d/32" or "x::y/128"). */
  hostCidr(n: bigint): string {
    return `${bigIntToAddress(n, this.family)}/${this.maxBits}`;
  }

  toString(): string {
    this.text ??= `${bigIntToAddress(this.network, this.family)}/${this.bits}`;
    return this.text;
  }
}

// ipaddr.js also takes "1", "10.1", "0x0a.0.0.1", octal "010.0.0.1" and zone ids; NSM (Go's net
// package) rejects them, and a misread prefix would hand out someone else's addresses.
const IPV4_DOTTED =
  /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;

/** A dotted quad or an IPv6 address (no zone), else undefined. IPv4 is read here: it is the hot path. */
function parseIp(text: string): { family: Family; value: bigint } | undefined {
  if (text.includes(":")) {
    if (text.includes("%")) return undefined;
    try {
      return { family: 6, value: addressToBigInt(ipaddr.IPv6.parse(text)) };
    } catch {
      return undefined;
    }
  }
  if (!IPV4_DOTTED.test(text)) return undefined;
  const [a, b, c, d] = text.split(".").map(Number) as [number, number, number, number];
  return { family: 4, value: BigInt(((a << 24) | (b << 16) | (c << 8) | d) >>> 0) };
}

/**
 * Prefixes already read, by their text: the same few (the pool, each peer's address and prefix) are
 * read several times for every link. A Cidr never changes, so one serves every caller. Bounded:
 * emptied when full.
 */
const parsed = new Map<string, Cidr>();
const PARSED_MAX = 1024;

/** Parses "a.b.c.d/n" or "x::y/n" into its canonical network; `field` names the source in errors. */
export function parseCidr(value: string, field = "prefix"): Cidr {
  const known = parsed.get(value);
  if (known) return known;
  const cidr = readCidr(value, field);
  if (parsed.size >= PARSED_MAX) parsed.clear();
  parsed.set(value, cidr);
  return cidr;
}

function readCidr(value: string, field: string): Cidr {
  const fail = () => new CidrError(field, String(value), "is not a CIDR (address/length)");
  if (typeof value !== "string") throw fail();
  const parts = value.trim().split("/");
  if (parts.length !== 2 || !/^(0|[1-9][0-9]{0,2})$/.test(parts[1]!)) throw fail();
  // A v4-mapped IPv6 prefix stays IPv6: the family is what the string says.
  const ip = parseIp(parts[0]!);
  const bits = Number(parts[1]);
  if (!ip || bits > (ip.family === 4 ? 32 : 128)) throw fail();
  return new Cidr(ip.family, ip.value, bits);
}

/**
 * An address as NSM carries them: "a.b.c.d/32", "a.b.c.d/24" (the address, not its network) or bare.
 * `bits` is the length given, else the full length.
 */
export function parseAddressWithLength(
  value: string,
  field = "address",
): { family: Family; value: bigint; bits: number } {
  const fail = () => new CidrError(field, String(value), "is not an IP address");
  const [addr, len, ...rest] = typeof value === "string" ? value.trim().split("/") : [];
  const ip = addr === undefined || rest.length > 0 ? undefined : parseIp(addr);
  if (!ip || (len !== undefined && !/^(0|[1-9][0-9]{0,2})$/.test(len))) throw fail();
  const max = ip.family === 4 ? 32 : 128;
  const bits = len === undefined ? max : Number(len);
  if (bits > max) throw fail();
  return { ...ip, bits };
}

/** Parses a bare address ("a.b.c.d" or "x::y"). */
export function parseAddress(value: string, field = "address"): { family: Family; value: bigint } {
  const ip = typeof value === "string" ? parseIp(value.trim()) : undefined;
  if (!ip) throw new CidrError(field, String(value), "is not an IP address");
  return ip;
}

/** The address part of "a.b.c.d/32" (an address with a length, as NSM carries them). */
export function addressOf(cidrWithHost: string): string {
  const slash = cidrWithHost.indexOf("/");
  return slash < 0 ? cidrWithHost : cidrWithHost.slice(0, slash);
}

/** An inclusive range of integers (addresses or prefix indexes). */
export interface Range {
  start: bigint;
  end: bigint;
}

/** Sorted, with overlapping and touching ranges merged: the form the two functions below expect. */
export function mergeRanges(ranges: readonly Range[]): Range[] {
  const sorted = ranges.filter((r) => r.start <= r.end).sort((a, b) => (a.start < b.start ? -1 : 1));
  const merged: Range[] = [];
  for (const r of sorted) {
    const tail = merged[merged.length - 1];
    if (tail && r.start <= tail.end + 1n) {
      if (r.end > tail.end) tail.end = r.end;
    } else merged.push({ start: r.start, end: r.end });
  }
  return merged;
}

/** The smallest n >= from that lies in none of `merged`; one pass, so huge ranges cost nothing. */
export function firstOutside(from: bigint, merged: readonly Range[]): bigint {
  let n = from;
  for (const r of merged) {
    if (r.start > n) break;
    if (r.end >= n) n = r.end + 1n;
  }
  return n;
}

export function inRanges(n: bigint, merged: readonly Range[]): boolean {
  let lo = 0;
  let hi = merged.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = merged[mid]!;
    if (n < r.start) hi = mid - 1;
    else if (n > r.end) lo = mid + 1;
    else return true;
  }
  return false;
}
