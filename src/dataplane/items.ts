// What the NSE programs for one link, read from the link's IP context as NSM defines it: the side
// that serves installs dst_routes via the src address; the side that dialled installs src_routes via
// the dst address. The NSE's own address sits on each of its link interfaces.
import type { Connection } from "../grpc/gen/networkservice/connection.js";
import { addressOf, parseCidr } from "../ipam/cidr.js";
import type { Item, LinkRole } from "./types.js";

function mechanismOf(conn: Connection): { cls: string; type: string; parameters: Record<string, string> } {
  const m = conn.mechanism;
  return { cls: m?.cls ?? "LOCAL", type: m?.type ?? "KERNEL", parameters: { ...(m?.parameters ?? {}) } };
}

/**
 * Items for a link. `role` "server": we answered the Request (an NSC, or a peer that dialled us);
 * "client": we dialled a peer. `skipRoutes` are prefixes never routed into one link (the vL3 pool).
 */
export function linkItems(
  conn: Connection,
  ifName: string,
  role: LinkRole,
  skipRoutes: string[] = [],
): Item[] {
  const ip = conn.context?.ipContext;
  const own = role === "server" ? ip?.dstIpAddrs : ip?.srcIpAddrs;
  const other = role === "server" ? ip?.srcIpAddrs : ip?.dstIpAddrs;
  const routes = role === "server" ? ip?.dstRoutes : ip?.srcRoutes;
  const otherHosts = new Set((other ?? []).map(addressOf));
  const items: Item[] = [{ type: "interface", name: ifName, role, mechanism: mechanismOf(conn) }];
  for (const cidr of own ?? []) items.push({ type: "address", ifName, cidr });
  const seen = new Set<string>();
  const skip = skipRoutes.map((p) => parseCidr(p));
  // A route to a skipped prefix or anything wider (NSM's vL3 answers an unmasked "172.16.1.0/16").
  const skipped = (prefix: string) => {
    try {
      const c = parseCidr(prefix);
      return skip.some((p) => c.containsCidr(p));
    } catch {
      return false;
    }
  };
  for (const r of routes ?? []) {
    if (seen.has(r.prefix) || skipped(r.prefix)) continue;
    seen.add(r.prefix);
    // A route to the other end's own address is on the link; anything else goes via that address.
    const host = addressOf(r.prefix);
    const onLink = otherHosts.has(host) && (r.prefix.endsWith("/32") || r.prefix.endsWith("/128"));
    const via = onLink ? undefined : r.nextHop || (other?.[0] ? addressOf(other[0]) : undefined);
    items.push(
      via ? { type: "route", dst: r.prefix, ifName, via } : { type: "route", dst: r.prefix, ifName },
    );
  }
  return items;
}
