// The documented limits on what one Request or Close may carry (docs/endpoint.md, "Limits"),
// checked before any other work: a hostile client must not make the endpoint parse 20,000 prefixes
// or echo 100,000 characters. Every limit is far above what NSM sends (its paths have fewer than ten
// segments; nsmgr's excluded prefixes are the cluster's pod and service CIDRs).

import { refuseUndecodable } from "../grpc/decode.js";
import type { Connection } from "../grpc/gen/networkservice/connection.js";
import type { NetworkServiceRequest } from "../grpc/gen/networkservice/networkservice.js";
import { quote } from "../util/quote.js";
import { invalidArgument } from "./errors.js";
import type { Element } from "./types.js";

export const LIMITS = {
  /** Bytes of one message (the gRPC server's receive limit; larger is RESOURCE_EXHAUSTED). */
  messageBytes: 1024 * 1024,
  pathSegments: 32,
  /** Characters of a name, an id, a network service, a mechanism type or class. */
  nameChars: 253,
  /** Characters of a path segment's token (a JWT). */
  tokenChars: 8192,
  /** Entries of any map (labels, segment metrics, mechanism parameters, extra_context). */
  labels: 64,
  labelKeyChars: 317,
  /** Characters of any other string value (label and parameter values, addresses, DNS names). */
  valueChars: 1024,
  mechanisms: 16,
  /** Entries of each IP context list other than excluded_prefixes (addresses, routes, neighbours...). */
  ipEntries: 256,
  excludedPrefixes: 4096,
  /** Entries of each DNS list (configs, servers, search domains). */
  dnsEntries: 32,
} as const;

// Field names are built only for an error: nearly every request passes every check, and a name per
// entry checked was a string (often two) made for nothing, dozens per Request.

/** `base[index]suffix`, or `base` + `suffix` without an index. */
function fieldName(base: string, index: number | undefined, suffix: string): string {
  return index === undefined ? base + suffix : `${base}[${index}]${suffix}`;
}

function count(field: string, n: number, max: number): void {
  if (n > max) throw invalidArgument(field, `${n} entries; at most ${max}`);
}

function countAt(n: number, max: number, base: string, index: number | undefined, suffix: string): void {
  if (n > max) throw invalidArgument(fieldName(base, index, suffix), `${n} entries; at most ${max}`);
}

function chars(field: string, value: string, max: number): void {
  if (value.length > max) throw invalidArgument(field, `${value.length} characters; at most ${max}`);
}

function charsAt(value: string, max: number, base: string, index: number | undefined, suffix: string): void {
  if (value.length > max) {
    throw invalidArgument(fieldName(base, index, suffix), `${value.length} characters; at most ${max}`);
  }
}

function map(m: Record<string, string> | undefined, base: string, index?: number, suffix = ""): void {
  if (!m) return;
  let n = 0;
  for (const key in m) if (Object.hasOwn(m, key)) n++;
  countAt(n, LIMITS.labels, base, index, suffix);
  let i = 0;
  for (const key in m) {
    if (!Object.hasOwn(m, key)) continue;
    if (key.length > LIMITS.labelKeyChars) {
      throw invalidArgument(
        fieldName(base, index, suffix),
        `key ${i} has ${key.length} characters; at most ${LIMITS.labelKeyChars}`,
      );
    }
    const value = m[key]!;
    if (value.length > LIMITS.valueChars) {
      throw invalidArgument(
        `${fieldName(base, index, suffix)}[${quote(key)}]`,
        `${value.length} characters; at most ${LIMITS.valueChars}`,
      );
    }
    i++;
  }
}

function list(values: string[], max: number, base: string, index?: number, suffix = ""): void {
  countAt(values.length, max, base, index, suffix);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v.length > LIMITS.valueChars) {
      throw invalidArgument(
        `${fieldName(base, index, suffix)}[${i}]`,
        `${v.length} characters; at most ${LIMITS.valueChars}`,
      );
    }
  }
}

const SEGMENTS = "connection.path.path_segments";
const IP = "connection.context.ip_context";
const EXCLUDED = `${IP}.excluded_prefixes`;
const SRC_IPS = `${IP}.src_ip_addrs`;
const DST_IPS = `${IP}.dst_ip_addrs`;
const EXTRA_PREFIXES = `${IP}.extra_prefixes`;
const SRC_ROUTES = `${IP}.src_routes`;
const DST_ROUTES = `${IP}.dst_routes`;
const POLICIES = `${IP}.policies`;
const DNS_CONFIGS = "connection.context.dns_context.configs";

function routes(list: Array<{ prefix: string; nextHop: string }>, base: string): void {
  count(base, list.length, LIMITS.ipEntries);
  for (let i = 0; i < list.length; i++) {
    const r = list[i]!;
    charsAt(r.prefix, LIMITS.valueChars, base, i, ".prefix");
    charsAt(r.nextHop, LIMITS.valueChars, base, i, ".nextHop");
  }
}

/** Throws INVALID_ARGUMENT naming the first field over its limit; changes nothing. */
export function checkConnectionLimits(conn: Connection | undefined): void {
  if (!conn) return;
  chars("connection.id", conn.id, LIMITS.nameChars);
  chars("connection.network_service", conn.networkService, LIMITS.nameChars);
  chars("connection.network_service_endpoint_name", conn.networkServiceEndpointName, LIMITS.nameChars);
  chars("connection.payload", conn.payload, LIMITS.nameChars);
  map(conn.labels, "connection.labels");
  const segments = conn.path?.pathSegments ?? [];
  count(SEGMENTS, segments.length, LIMITS.pathSegments);
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    charsAt(s.name, LIMITS.nameChars, SEGMENTS, i, ".name");
    charsAt(s.id, LIMITS.nameChars, SEGMENTS, i, ".id");
    charsAt(s.token, LIMITS.tokenChars, SEGMENTS, i, ".token");
    map(s.metrics, SEGMENTS, i, ".metrics");
  }
  if (conn.mechanism) mechanism(conn.mechanism, "connection.mechanism");
  const c = conn.context;
  if (!c) return;
  map(c.extraContext, "connection.context.extra_context");
  const ip = c.ipContext;
  if (ip) {
    count(EXCLUDED, ip.excludedPrefixes.length, LIMITS.excludedPrefixes);
    list(ip.excludedPrefixes, LIMITS.excludedPrefixes, EXCLUDED);
    list(ip.srcIpAddrs, LIMITS.ipEntries, SRC_IPS);
    list(ip.dstIpAddrs, LIMITS.ipEntries, DST_IPS);
    list(ip.extraPrefixes, LIMITS.ipEntries, EXTRA_PREFIXES);
    routes(ip.srcRoutes, SRC_ROUTES);
    routes(ip.dstRoutes, DST_ROUTES);
    count(`${IP}.ip_neighbors`, ip.ipNeighbors.length, LIMITS.ipEntries);
    count(`${IP}.extra_prefix_request`, ip.extraPrefixRequest.length, LIMITS.ipEntries);
    count(POLICIES, ip.policies.length, LIMITS.ipEntries);
    for (let i = 0; i < ip.policies.length; i++) {
      countAt(ip.policies[i]!.routes.length, LIMITS.ipEntries, POLICIES, i, ".routes");
    }
  }
  const dns = c.dnsContext?.configs ?? [];
  count(DNS_CONFIGS, dns.length, LIMITS.dnsEntries);
  for (let i = 0; i < dns.length; i++) {
    list(dns[i]!.dnsServerIps, LIMITS.dnsEntries, DNS_CONFIGS, i, ".dns_server_ips");
    list(dns[i]!.searchDomains, LIMITS.dnsEntries, DNS_CONFIGS, i, ".search_domains");
  }
}

function mechanism(
  m: { cls: string; type: string; parameters: Record<string, string> },
  base: string,
  index?: number,
): void {
  charsAt(m.cls, LIMITS.nameChars, base, index, ".cls");
  charsAt(m.type, LIMITS.nameChars, base, index, ".type");
  map(m.parameters, base, index, ".parameters");
}

export function checkRequestLimits(req: NetworkServiceRequest): void {
  refuseUndecodable(req);
  count("mechanism_preferences", req.mechanismPreferences.length, LIMITS.mechanisms);
  for (let i = 0; i < req.mechanismPreferences.length; i++) {
    mechanism(req.mechanismPreferences[i]!, "mechanism_preferences", i);
  }
  checkConnectionLimits(req.connection);
}

/** The element: first after measure, so that nothing else touches an oversized or undecodable request. */
export function limits(): Element {
  return (next) => ({
    request: (req, ctx) => {
      checkRequestLimits(req);
      return next.request(req, ctx);
    },
    close: (conn, ctx) => {
      checkConnectionLimits(refuseUndecodable(conn));
      return next.close(conn, ctx);
    },
  });
}
