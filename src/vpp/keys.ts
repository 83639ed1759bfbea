// vpp-agent KV keys (§1.7 of the data-plane notes): the agent stores every value under a key derived
// from its key fields, so two values with one key in a request collide and Delete needs key fields only.

import type { Interface } from "../grpc/gen/ligato/vpp/interfaces/interface.js";
import type { Route } from "../grpc/gen/ligato/vpp/l3/route.js";
import { parseCidr } from "../ipam/cidr.js";

export const INTERFACE_KEY_PREFIX = "config/vpp/v2/interfaces/";
export const ROUTE_KEY_PREFIX = "config/vpp/v2/route/";

export function interfaceKey(iface: Pick<Interface, "name">): string {
  return INTERFACE_KEY_PREFIX + iface.name;
}

/**
 * `config/vpp/v2/route/[if/{outgoing_interface}/]vrf/{vrf_id}/dst/{ip}/{len}/[gw/{next_hop}]`; the
 * destination is the network address (host bits cleared), as the agent prints a parsed IPNet.
 */
export function routeKey(
  route: Pick<Route, "outgoingInterface" | "vrfId" | "dstNetwork" | "nextHopAddr">,
): string {
  let key = ROUTE_KEY_PREFIX;
  if (route.outgoingInterface) key += `if/${route.outgoingInterface}/`;
  key += `vrf/${route.vrfId}/`;
  key += `dst/${canonicalDst(route.dstNetwork)}/`;
  if (route.nextHopAddr) key += `gw/${route.nextHopAddr}`;
  return key;
}

/** "a.b.c.d/len" with the host bits cleared; an unparsable value stays as it is (as in the agent). */
function canonicalDst(dst: string): string {
  try {
    const cidr = parseCidr(dst, "dst_network");
    return cidr.toString();
  } catch {
    return dst;
  }
}
