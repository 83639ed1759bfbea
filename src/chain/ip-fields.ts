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

const IP = "connection.context.ip_context";

/**
 * A field's name, built only for an error (nearly every request has none): `list` is a list of the
 * IP context and `index` the entry, or with a negative index `list` is the whole name.
 */
function nameOf(list: string, index: number, suffix: string): string {
  return index < 0 ? list : `${IP}.${list}[${index}]${suffix}`;
}

function refuse(value: string, what: string, list: string, index: number, suffix: string): never {
  throw invalidArgument(nameOf(list, index, suffix), `${quote(value)} is not ${what}`);
}

function checkShape(
  value: string,
  what: string,
  mapped: boolean,
  list: string,
  index: number,
  suffix: string,
) {
  if (!SHAPE.test(value)) refuse(value, what, list, index, suffix);
  if (mapped) {
    throw invalidArgument(
      nameOf(list, index, suffix),
      `${quote(value)} is an IPv4-mapped IPv6 address; write it as IPv4`,
    );
  }
}

/**
 * Canonical forms already worked out, by kind and text: the same addresses and routes come again on
 * every refresh of a link. Only values that passed are kept; bounded, emptied when full.
 */
const known = new Map<string, string>();
const KNOWN_MAX = 2048;

function remember(key: string, canonical: string): string {
  if (known.size >= KNOWN_MAX) known.clear();
  known.set(key, canonical);
  return canonical;
}

function prefixOf(value: string, list: string, index: number, suffix: string): string {
  const key = `p${value}`;
  const hit = known.get(key);
  if (hit !== undefined) return hit;
  const what = "a CIDR (address/length)";
  if (!SHAPE.test(value)) refuse(value, what, list, index, suffix);
  let cidr: Cidr;
  try {
    cidr = parseCidr(value);
  } catch {
    refuse(value, what, list, index, suffix);
  }
  const mapped = isMapped(cidr.family, cidr.network) && cidr.bits >= 96;
  checkShape(value, what, mapped, list, index, suffix);
  return remember(key, cidr.toString());
}

function addressWithLengthOf(value: string, list: string, index: number, suffix: string): string {
  const key = `l${value}`;
  const hit = known.get(key);
  if (hit !== undefined) return hit;
  const what = "an address with a length (address/length)";
  if (!SHAPE.test(value) || !value.includes("/")) refuse(value, what, list, index, suffix);
  let ip: ReturnType<typeof parseAddressWithLength>;
  try {
    ip = parseAddressWithLength(value);
  } catch {
    refuse(value, what, list, index, suffix);
  }
  checkShape(value, what, isMapped(ip.family, ip.value), list, index, suffix);
  return remember(key, `${bigIntToAddress(ip.value, ip.family)}/${ip.bits}`);
}

function addressOf(value: string, list: string, index: number, suffix: string): string {
  const key = `a${value}`;
  const hit = known.get(key);
  if (hit !== undefined) return hit;
  const what = "an IP address";
  if (!SHAPE.test(value) || value.includes("/")) refuse(value, what, list, index, suffix);
  let ip: ReturnType<typeof parseAddress>;
  try {
    ip = parseAddress(value);
  } catch {
    refuse(value, what, list, index, suffix);
  }
  checkShape(value, what, isMapped(ip.family, ip.value), list, index, suffix);
  return remember(key, bigIntToAddress(ip.value, ip.family));
}

/** A prefix ("a.b.c.d/n", "x::/n") as its canonical network. */
export const canonicalPrefix = (field: string, value: string) => prefixOf(value, field, -1, "");
/** An address with its length ("a.b.c.d/32", the host kept) in canonical form. */
export const canonicalAddressWithLength = (field: string, value: string) =>
  addressWithLengthOf(value, field, -1, "");
/** A bare address in canonical form. */
export const canonicalAddress = (field: string, value: string) => addressOf(value, field, -1, "");

function routes(list: string, routes: Route[]): Route[] {
  return routes.map((r, i) => ({
    ...r,
    prefix: prefixOf(r.prefix, list, i, ".prefix"),
    nextHop: r.nextHop ? addressOf(r.nextHop, list, i, ".nextHop") : "",
  }));
}

type Canon = (value: string, list: string, index: number, suffix: string) => string;

function each(list: string, values: string[], canon: Canon): string[] {
  return values.map((v, i) => canon(v, list, i, ""));
}

/** The IP context with every address and prefix checked and in canonical form; throws naming the field. */
export function canonicalIpContext(ip: IPContext): IPContext {
  return {
    ...ip,
    srcIpAddrs: each("src_ip_addrs", ip.srcIpAddrs, addressWithLengthOf),
    dstIpAddrs: each("dst_ip_addrs", ip.dstIpAddrs, addressWithLengthOf),
    excludedPrefixes: each("excluded_prefixes", ip.excludedPrefixes, prefixOf),
    extraPrefixes: each("extra_prefixes", ip.extraPrefixes, prefixOf),
    srcRoutes: routes("src_routes", ip.srcRoutes),
    dstRoutes: routes("dst_routes", ip.dstRoutes),
  };
}
