// The vL3 IP contexts: what an NSC gets, what a serving NSE answers a peer, and what a dialling NSE
// asks for. Routes cover the whole pool as configured (not a hard-coded /16) and the NSE's own
// address is the first host of its prefix (not the network address).
import { invalidArgument } from "../chain/errors.js";
import type { IPContext, Route } from "../grpc/gen/networkservice/connectioncontext.js";
import type { AddressPool } from "../ipam/address-pool.js";
import { addressOf, type Cidr, parseCidr } from "../ipam/cidr.js";
import { quote } from "../util/quote.js";

export interface Vl3Addressing {
  /** The vL3 pool every endpoint's prefix comes from. */
  pool: Cidr;
  /** This endpoint's prefix and addresses. */
  addresses: AddressPool;
  /** Extra prefixes routed to NSCs through this NSE (seed: ipam.routes). */
  extraRoutes: string[];
}

const emptyIpContext = (): IPContext => ({
  srcIpAddrs: [],
  dstIpAddrs: [],
  srcIpRequired: false,
  dstIpRequired: false,
  srcRoutes: [],
  dstRoutes: [],
  excludedPrefixes: [],
  ipNeighbors: [],
  extraPrefixRequest: [],
  extraPrefixes: [],
  policies: [],
});

/** True for a CIDR (or address) that lies inside the pool: ours to rewrite. */
function inPool(pool: Cidr, value: string): boolean {
  try {
    return pool.containsCidr(parseCidr(value.includes("/") ? value : `${value}/${pool.maxBits}`));
  } catch {
    return false;
  }
}

/**
 * An NSC's context: one address from our prefix (its previous one if it asks and may keep it), and
 * routes to this NSE, its prefix and the whole pool. Anything of the pool from an earlier context
 * (another NSE, an old prefix) is replaced; everything else the NSC carries is kept.
 */
export function clientIpContext(id: string, requested: IPContext | undefined, a: Vl3Addressing): IPContext {
  const req = { ...emptyIpContext(), ...requested };
  const self = a.addresses.selfAddress;
  const selfIp = addressOf(self);
  const mine = a.addresses.allocate(id, {
    requested: req.srcIpAddrs.filter((s) => inPool(a.pool, s)),
    excluded: req.excludedPrefixes,
  });
  const foreign = (list: string[]) => list.filter((s) => !inPool(a.pool, s));
  const foreignRoutes = (list: Route[]) => list.filter((r) => !inPool(a.pool, r.prefix));
  return {
    ...req,
    srcIpAddrs: [...foreign(req.srcIpAddrs), mine],
    dstIpAddrs: [...foreign(req.dstIpAddrs), self],
    srcRoutes: [
      ...foreignRoutes(req.srcRoutes).filter((r) => !a.extraRoutes.includes(r.prefix)),
      { prefix: self, nextHop: "" },
      { prefix: a.addresses.prefix.toString(), nextHop: selfIp },
      ...(a.pool.bits < a.addresses.prefix.bits ? [{ prefix: a.pool.toString(), nextHop: selfIp }] : []),
      ...a.extraRoutes.map((prefix) => ({ prefix, nextHop: selfIp })),
    ],
    dstRoutes: [...foreignRoutes(req.dstRoutes), { prefix: mine, nextHop: "" }],
  };
}

/** What a dialling NSE asks for: "route my address and my prefix to me". */
export function peerRequestIpContext(a: Vl3Addressing): IPContext {
  const self = a.addresses.selfAddress;
  return {
    ...emptyIpContext(),
    srcIpAddrs: [self],
    dstRoutes: [
      { prefix: self, nextHop: "" },
      { prefix: a.addresses.prefix.toString(), nextHop: addressOf(self) },
    ],
  };
}

/**
 * A serving NSE's answer to a peer: the peer's address and routes are checked (inside the pool, not
 * overlapping our prefix), and our address and prefix are added for the dialling side to route.
 */
export function peerIpContext(requested: IPContext | undefined, a: Vl3Addressing): IPContext {
  const req = { ...emptyIpContext(), ...requested };
  const prefix = a.addresses.prefix;
  const src = req.srcIpAddrs;
  if (src.length !== 1)
    throw invalidArgument(
      "connection.context.ip_context.src_ip_addrs",
      "a peer request carries exactly one address, the peer NSE's",
    );
  const checkOwn = (field: string, value: string) => {
    if (!inPool(a.pool, value))
      throw invalidArgument(field, `${quote(value)} is outside the vL3 pool ${a.pool}`);
    if (prefix.overlaps(parseCidr(value.includes("/") ? value : `${value}/${prefix.maxBits}`, field))) {
      throw invalidArgument(field, `${quote(value)} overlaps this endpoint's prefix ${prefix}`);
    }
  };
  checkOwn("connection.context.ip_context.src_ip_addrs[0]", src[0]!);
  for (const [i, r] of req.dstRoutes.entries()) {
    checkOwn(`connection.context.ip_context.dst_routes[${i}].prefix`, r.prefix);
  }
  const self = a.addresses.selfAddress;
  return {
    ...req,
    dstIpAddrs: [self],
    srcRoutes: [
      { prefix: self, nextHop: "" },
      { prefix: prefix.toString(), nextHop: addressOf(self) },
    ],
  };
}
