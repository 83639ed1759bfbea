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
  const len = family === 4 ? 4 : 16;
  const bytes = new Array<number>(len);
  for (let i = len - 1; i >= 0; i--) {
    bytes[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return ipaddr.fromByteArray(bytes).toString();
}

export class Cidr {
  /** Network address (host bits cleared) as an integer. */
  readonly network: bigint;

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
    return `${bigIntToAddress(this.network, this.family)}/${this.bits}`;
  }
}

/** Parses "a.b.c.d/n" or "x::y/n" into its canonical network; `field` names the source in errors. */
export function parseCidr(value: string, field = "prefix"): Cidr {
  if (typeof value !== "string" || !value.includes("/")) {
    throw new CidrError(field, String(value), "is not a CIDR (address/length)");
  }
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    parsed = ipaddr.parseCIDR(value.trim());
  } catch {
    throw new CidrError(field, value, "is not a CIDR (address/length)");
  }
  const [addr, bits] = parsed;
  // A v4-mapped IPv6 prefix stays IPv6: the family is what the string says.
  const family: Family = addr.kind() === "ipv4" ? 4 : 6;
  return new Cidr(family, addressToBigInt(addr), bits);
}

/** Parses a bare address ("a.b.c.d" or "x::y"). */
export function parseAddress(value: string, field = "address"): { family: Family; value: bigint } {
  if (typeof value !== "string" || !ipaddr.isValid(value.trim())) {
    throw new CidrError(field, String(value), "is not an IP address");
  }
  const addr = ipaddr.parse(value.trim());
  return { family: addr.kind() === "ipv4" ? 4 : 6, value: addressToBigInt(addr) };
}

/** The address part of "a.b.c.d/32" (an address with a length, as NSM carries them). */
export function addressOf(cidrWithHost: string): string {
  return cidrWithHost.split("/")[0]!;
}
