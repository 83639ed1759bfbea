// What the kernel holds, read with `ip -j` and turned back into data-plane items.
import type { AddressItem, InterfaceItem, RouteItem } from "../dataplane/types.js";
import { parseCidr } from "../ipam/cidr.js";
import { canonicalAddress, canonicalAddressCidr } from "./commands.js";
import { ipJson, type NetnsOption } from "./ip.js";

/** The fields of `ip -j addr show` that we read. */
export interface IpLinkJson {
  ifname: string;
  flags?: string[];
  addr_info?: { family?: string; local?: string; prefixlen?: number; scope?: string }[];
}

/** The fields of `ip -j route show` that we read. */
export interface IpRouteJson {
  dst: string;
  dev?: string;
  gateway?: string;
  type?: string;
  table?: string;
  protocol?: string;
}

export interface KernelState {
  links: IpLinkJson[];
  routes: { family: 4 | 6; route: IpRouteJson }[];
}

export async function readState(options: NetnsOption = {}): Promise<KernelState> {
  const [links, v4, v6] = await Promise.all([
    ipJson<IpLinkJson>(["addr", "show"], options),
    ipJson<IpRouteJson>(["-4", "route", "show", "table", "main"], options),
    ipJson<IpRouteJson>(["-6", "route", "show", "table", "main"], options),
  ]);
  return {
    links,
    routes: [
      ...v4.map((route) => ({ family: 4 as const, route })),
      ...v6.map((route) => ({ family: 6 as const, route })),
    ],
  };
}

/** Admin-up links that `owns(name)`: an interface item's effect is the link being up. */
export function linksUp(state: KernelState, owns: (ifName: string) => boolean): string[] {
  return state.links.filter((l) => owns(l.ifname) && l.flags?.includes("UP")).map((l) => l.ifname);
}

/** Addresses on owned links, without IPv6 link-local ones (the kernel makes those itself). */
export function addressItems(state: KernelState, owns: (ifName: string) => boolean): AddressItem[] {
  const items: AddressItem[] = [];
  for (const link of state.links) {
    if (!owns(link.ifname)) continue;
    for (const a of link.addr_info ?? []) {
      if (!a.local || a.prefixlen === undefined) continue;
      if (a.family === "inet6" && /^fe[89ab]/i.test(a.local)) continue;
      items.push({
        type: "address",
        ifName: link.ifname,
        cidr: canonicalAddressCidr(`${a.local}/${a.prefixlen}`),
      });
    }
  }
  return items;
}

/** Unicast routes of the main table through owned links, except those the kernel adds itself. */
export function routeItems(state: KernelState, owns: (ifName: string) => boolean): RouteItem[] {
  const items: RouteItem[] = [];
  for (const { family, route } of state.routes) {
    if (!route.dev || !owns(route.dev)) continue;
    if ((route.type && route.type !== "unicast") || (route.table && route.table !== "main")) continue;
    if (route.protocol === "kernel") continue;
    const item: RouteItem = { type: "route", dst: routeDst(route.dst, family), ifName: route.dev };
    if (route.gateway) item.via = canonicalAddress(route.gateway);
    items.push(item);
  }
  return items;
}

/** `ip` prints a host route without its length and 0/0 as "default". */
export function routeDst(dst: string, family: 4 | 6): string {
  if (dst === "default") return family === 4 ? "0.0.0.0/0" : "::/0";
  if (dst.includes("/")) return parseCidr(dst, "route").toString();
  return `${canonicalAddress(dst)}/${family === 4 ? 32 : 128}`;
}

/** A synthesised interface item for a link we find but did not put ourselves (after a restart). */
export function foundInterface(name: string): InterfaceItem {
  return {
    type: "interface",
    name,
    role: "server",
    mechanism: { cls: "LOCAL", type: "KERNEL", parameters: { name } },
  };
}
