// Strict parsing of the addresses and prefixes a request carries, and their canonical form (what the
// NSE answers): no whitespace, no zone ids, no IPv4-mapped IPv6 ("::ffff:1.2.3.4"), no octal or short
// IPv4. Go's net package, which NSM uses, refuses most of these; a misread one would route or exclude
// the wrong addresses. Prefixes come back as their network ("10.1.2.3/8" is "10.0.0.0/8").
import type { IPContext, Route } from "../grpc/gen/networkservice/connectioncontext.js";
import { bigIntToAddress, type Cidr, parseAddress, parseAddressWithLength, parseCidr } from "../ipam/cidr.js";
import { quote } from "../util/quote.js";
import { invalidArgument } from "./errors.js";

/** Only the characters of an address, an optional length: whitespace and "%zone" never pass. */
const SHAPE = /^[0-9A-Fa-f.:]+(\/[0-9]{1,3})?$/;

const isMapped = (family: number, value: bigint) => family === 6 && value >> 32n === 0xffffn;

function refuse(field: string, value: string, what: string): never {
  throw invalidArgument(field, `${quote(value)} is not ${what}`);
}

function checkShape(field: string, value: string, what: string, mapped: boolean): void {
  if (!SHAPE.test(value)) refuse(field, value, what);
  if (mapped)
    throw invalidArgument(field, `${quote(value)} is an IPv4-mapped IPv6 address; write it as IPv4`);
}

/** A prefix ("a.b.c.d/n", "x::/n") as its canonical network. */
export function canonicalPrefix(field: string, value: string): string {
  const what = "a CIDR (address/length)";
  if (!SHAPE.test(value)) refuse(field, value, what);
  let cidr: Cidr;
  try {
    cidr = parseCidr(value, field);
  } catch {
    refuse(field, value, what);
  }
  checkShape(field, value, what, isMapped(cidr.family, cidr.network) && cidr.bits >= 96);
  return cidr.toString();
}

/** An address with its length ("a.b.c.d/32", the host kept) in canonical form. */
export function canonicalAddressWithLength(field: string, value: string): string {
  const what = "an address with a length (address/length)";
  if (!SHAPE.test(value) || !value.includes("/")) refuse(field, value, what);
  let ip: ReturnType<typeof parseAddressWithLength>;
  try {
    ip = parseAddressWithLength(value, field);
  } catch {
    refuse(field, value, what);
  }
  checkShape(field, value, what, isMapped(ip.family, ip.value));
  return `${bigIntToAddress(ip.value, ip.family)}/${ip.bits}`;
}

/** A bare address in canonical form. */
export function canonicalAddress(field: string, value: string): string {
  const what = "an IP address";
  if (!SHAPE.test(value) || value.includes("/")) refuse(field, value, what);
  let ip: ReturnType<typeof parseAddress>;
  try {
    ip = parseAddress(value, field);
  } catch {
    refuse(field, value, what);
  }
  checkShape(field, value, what, isMapped(ip.family, ip.value));
  return bigIntToAddress(ip.value, ip.family);
}

const IP = "connection.context.ip_context";

function routes(name: string, list: Route[]): Route[] {
  return list.map((r, i) => ({
    ...r,
    prefix: canonicalPrefix(`${IP}.${name}[${i}].prefix`, r.prefix),
    nextHop: r.nextHop ? canonicalAddress(`${IP}.${name}[${i}].nextHop`, r.nextHop) : "",
  }));
}

/** The IP context with every address and prefix checked and in canonical form; throws naming the field. */
export function canonicalIpContext(ip: IPContext): IPContext {
  const each = (name: string, list: string[], canon: (field: string, v: string) => string) =>
    list.map((v, i) => canon(`${IP}.${name}[${i}]`, v));
  return {
    ...ip,
    srcIpAddrs: each("src_ip_addrs", ip.srcIpAddrs, canonicalAddressWithLength),
    dstIpAddrs: each("dst_ip_addrs", ip.dstIpAddrs, canonicalAddressWithLength),
    excludedPrefixes: each("excluded_prefixes", ip.excludedPrefixes, canonicalPrefix),
    extraPrefixes: each("extra_prefixes", ip.extraPrefixes, canonicalPrefix),
    srcRoutes: routes("src_routes", ip.srcRoutes),
    dstRoutes: routes("dst_routes", ip.dstRoutes),
  };
}
