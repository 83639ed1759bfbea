// NSM's connectioncontext.IPContext applied to the two ends of a link, as NSM's kernel forwarder
// does it: src_* on the NSC end, dst_* on the NSE end. A route to the other end's own address is
// on the link; any other route goes via the next hop, or else the other end's address, `onlink`.
import type { AddressItem, RouteItem } from "../dataplane/types.js";
import { addressOf, parseCidr } from "../ipam/cidr.js";
import { canonicalAddress, canonicalItem } from "./commands.js";

/** connectioncontext.Route: `nextHop` empty means "the other end's address of the same family". */
export interface IpContextRoute {
  prefix: string;
  nextHop?: string;
}

/** The parts of connectioncontext.IPContext a forwarder applies (the generated type fits). */
export interface IpContextInput {
  srcIpAddrs?: string[];
  dstIpAddrs?: string[];
  srcRoutes?: IpContextRoute[];
  dstRoutes?: IpContextRoute[];
}

export type LinkEnd = "src" | "dst";

/** What one end of the link gets: addresses and routes on the interface `ifName`. */
export interface EndConfig {
  addresses: AddressItem[];
  routes: RouteItem[];
}

function familyOf(addr: string): 4 | 6 {
  return addr.includes(":") ? 6 : 4;
}

/** The addresses and routes for `end` of a link whose interface there is `ifName`. */
export function endConfig(ctx: IpContextInput, end: LinkEnd, ifName: string): EndConfig {
  const own = (end === "src" ? ctx.srcIpAddrs : ctx.dstIpAddrs) ?? [];
  const other = ((end === "src" ? ctx.dstIpAddrs : ctx.srcIpAddrs) ?? []).map((c) =>
    canonicalAddress(addressOf(c)),
  );
  const routes = (end === "src" ? ctx.srcRoutes : ctx.dstRoutes) ?? [];
  const addresses = own.map((cidr) => canonicalItem({ type: "address", ifName, cidr }) as AddressItem);
  const seen = new Set<string>();
  const out: RouteItem[] = [];
  for (const r of routes) {
    const dst = parseCidr(r.prefix, "route");
    const key = dst.toString();
    if (seen.has(key)) continue;
    seen.add(key);
    const host = dst.bits === dst.maxBits ? canonicalAddress(addressOf(key)) : undefined;
    const sameFamily = other.find((a) => familyOf(a) === dst.family);
    const via = host !== undefined && other.includes(host) ? undefined : r.nextHop || sameFamily;
    const route: RouteItem = { type: "route", dst: key, ifName };
    if (via) route.via = via;
    out.push(canonicalItem(route) as RouteItem);
  }
  return { addresses, routes: out };
}
