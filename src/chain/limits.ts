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

function count(field: string, n: number, max: number): void {
  if (n > max) throw invalidArgument(field, `${n} entries; at most ${max}`);
}

function chars(field: string, value: string, max: number): void {
  if (value.length > max) throw invalidArgument(field, `${value.length} characters; at most ${max}`);
}

function map(field: string, m: Record<string, string> | undefined): void {
  const entries = Object.entries(m ?? {});
  count(field, entries.length, LIMITS.labels);
  entries.forEach(([key, value], i) => {
    if (key.length > LIMITS.labelKeyChars) {
      throw invalidArgument(field, `key ${i} has ${key.length} characters; at most ${LIMITS.labelKeyChars}`);
    }
    chars(`${field}[${quote(key)}]`, value, LIMITS.valueChars);
  });
}

function list(field: string, values: string[], max: number): void {
  count(field, values.length, max);
  for (const [i, v] of values.entries()) chars(`${field}[${i}]`, v, LIMITS.valueChars);
}

/** Throws INVALID_ARGUMENT naming the first field over its limit; changes nothing. */
export function checkConnectionLimits(conn: Connection | undefined): void {
  if (!conn) return;
  chars("connection.id", conn.id, LIMITS.nameChars);
  chars("connection.network_service", conn.networkService, LIMITS.nameChars);
  chars("connection.network_service_endpoint_name", conn.networkServiceEndpointName, LIMITS.nameChars);
  chars("connection.payload", conn.payload, LIMITS.nameChars);
  map("connection.labels", conn.labels);
  const segments = conn.path?.pathSegments ?? [];
  count("connection.path.path_segments", segments.length, LIMITS.pathSegments);
  segments.forEach((s, i) => {
    const at = `connection.path.path_segments[${i}]`;
    chars(`${at}.name`, s.name, LIMITS.nameChars);
    chars(`${at}.id`, s.id, LIMITS.nameChars);
    chars(`${at}.token`, s.token, LIMITS.tokenChars);
    map(`${at}.metrics`, s.metrics);
  });
  if (conn.mechanism) mechanism("connection.mechanism", conn.mechanism);
  const c = conn.context;
  if (!c) return;
  map("connection.context.extra_context", c.extraContext);
  const ip = c.ipContext;
  if (ip) {
    const at = "connection.context.ip_context";
    count(`${at}.excluded_prefixes`, ip.excludedPrefixes.length, LIMITS.excludedPrefixes);
    list(`${at}.excluded_prefixes`, ip.excludedPrefixes, LIMITS.excludedPrefixes);
    list(`${at}.src_ip_addrs`, ip.srcIpAddrs, LIMITS.ipEntries);
    list(`${at}.dst_ip_addrs`, ip.dstIpAddrs, LIMITS.ipEntries);
    list(`${at}.extra_prefixes`, ip.extraPrefixes, LIMITS.ipEntries);
    for (const [name, routes] of [
      ["src_routes", ip.srcRoutes],
      ["dst_routes", ip.dstRoutes],
    ] as const) {
      count(`${at}.${name}`, routes.length, LIMITS.ipEntries);
      routes.forEach((r, i) => {
        chars(`${at}.${name}[${i}].prefix`, r.prefix, LIMITS.valueChars);
        chars(`${at}.${name}[${i}].nextHop`, r.nextHop, LIMITS.valueChars);
      });
    }
    count(`${at}.ip_neighbors`, ip.ipNeighbors.length, LIMITS.ipEntries);
    count(`${at}.extra_prefix_request`, ip.extraPrefixRequest.length, LIMITS.ipEntries);
    count(`${at}.policies`, ip.policies.length, LIMITS.ipEntries);
    for (const [i, p] of ip.policies.entries()) {
      count(`${at}.policies[${i}].routes`, p.routes.length, LIMITS.ipEntries);
    }
  }
  const dns = c.dnsContext?.configs ?? [];
  count("connection.context.dns_context.configs", dns.length, LIMITS.dnsEntries);
  dns.forEach((d, i) => {
    const at = `connection.context.dns_context.configs[${i}]`;
    list(`${at}.dns_server_ips`, d.dnsServerIps, LIMITS.dnsEntries);
    list(`${at}.search_domains`, d.searchDomains, LIMITS.dnsEntries);
  });
}

function mechanism(
  field: string,
  m: { cls: string; type: string; parameters: Record<string, string> },
): void {
  chars(`${field}.cls`, m.cls, LIMITS.nameChars);
  chars(`${field}.type`, m.type, LIMITS.nameChars);
  map(`${field}.parameters`, m.parameters);
}

export function checkRequestLimits(req: NetworkServiceRequest): void {
  refuseUndecodable(req);
  count("mechanism_preferences", req.mechanismPreferences.length, LIMITS.mechanisms);
  for (const [i, m] of req.mechanismPreferences.entries()) mechanism(`mechanism_preferences[${i}]`, m);
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
