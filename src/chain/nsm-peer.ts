// Recognises a peer request made the way NSM's Go vL3 endpoint makes it (it carries no mark of
// ours): NSM's own rule, made stricter. Pure, so that it composes with however the mark of vl3-nse
// peers is checked (registry, tokens): the caller confirms the name it returns.
import type { Connection } from "../grpc/gen/networkservice/connection.js";
import { type Cidr, parseAddressWithLength } from "../ipam/cidr.js";

export interface NsmPeerView {
  /** This endpoint's name: a request from ourselves is no peer. */
  self: string;
  /** The vL3 pool and this endpoint's prefix now (undefined while it has none). */
  pool: Cidr;
  prefix?: Cidr;
  /** What this endpoint already serves under the connection id, if anything. */
  kindOf(id: string): "client" | "peer" | undefined;
}

const inside = (cidr: Cidr | undefined, value: string): boolean => {
  if (!cidr) return false;
  try {
    const a = parseAddressWithLength(value);
    return a.family === cidr.family && a.value >= cidr.network && a.value <= cidr.last;
  } catch {
    return false;
  }
};

/**
 * The name of the NSM vL3 endpoint a request comes from, if it is one of its peer requests; else
 * undefined (an NSC). NSM's rule: an id it does not serve as a client, a DNS config, and a source
 * address of the pool's family. Stricter here: that address must lie in the pool and outside our own
 * prefix (an NSC of ours healing after our restart carries one inside it), NSM's strict-IPAM check
 * applies (a request whose dst_ip_addrs name another endpoint is a client that moved), and the first
 * path segment, named after the dialling endpoint, must name someone else.
 */
export function recogniseNsmPeer(conn: Connection, view: NsmPeerView): string | undefined {
  const known = view.kindOf(conn.id);
  if (known === "client") return undefined;
  const ip = conn.context?.ipContext;
  if ((conn.context?.dnsContext?.configs.length ?? 0) === 0) return undefined;
  const src = (ip?.srcIpAddrs ?? []).filter((a) => inside(view.pool, a));
  if (src.length === 0 || src.some((a) => inside(view.prefix, a))) return undefined;
  const dst = ip?.dstIpAddrs ?? [];
  if (dst.length > 0 && !dst.some((a) => inside(view.prefix, a))) return undefined;
  const dialler = conn.path?.pathSegments[0]?.name ?? "";
  if (!dialler || dialler === view.self) return undefined;
  return dialler;
}
