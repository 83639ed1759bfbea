// Data-plane items as iproute2 batch lines, and the lines that undo them. Items are put in canonical
// form first so that keys compare equal with what `ip -j` reads back.
import ipaddr from "ipaddr.js";
import type { Item, RouteItem } from "../dataplane/types.js";
import { parseCidr } from "../ipam/cidr.js";
import { ipLine } from "./ip.js";

// Linux dev_valid_name: at most 15 bytes, no '/', ':' or whitespace; we also keep to a safe set.
const IFNAME = /^[A-Za-z0-9_.@-]{1,15}$/;

export function checkIfName(name: string): string {
  if (!IFNAME.test(name) || name === "." || name === "..") {
    throw new Error(`"${name}" is not a Linux interface name (at most 15 of A-Z a-z 0-9 _ . @ -)`);
  }
  return name;
}

/** "a.b.c.d/n" with the address kept as given (host bits and all) and the text normalised. */
export function canonicalAddressCidr(cidr: string, field = "address"): string {
  const c = parseCidr(cidr, field);
  return `${ipaddr.parse(cidr.split("/")[0]!.trim()).toString()}/${c.bits}`;
}

export function canonicalAddress(addr: string): string {
  if (!ipaddr.isValid(addr)) throw new Error(`"${addr}" is not an IP address`);
  return ipaddr.parse(addr).toString();
}

/** The same item with names checked and addresses in the form `ip -j` prints them. */
export function canonicalItem(item: Item): Item {
  switch (item.type) {
    case "interface":
      checkIfName(item.name);
      return item;
    case "address":
      return { ...item, ifName: checkIfName(item.ifName), cidr: canonicalAddressCidr(item.cidr) };
    case "route": {
      const route: RouteItem = {
        type: "route",
        dst: parseCidr(item.dst, "route").toString(),
        ifName: checkIfName(item.ifName),
      };
      if (item.via) route.via = canonicalAddress(item.via);
      return route;
    }
  }
}

function isV6(cidrOrAddr: string): boolean {
  return cidrOrAddr.includes(":");
}

/** The line that creates or replaces a (canonical) item; `replace` makes a repeat harmless. */
export function putLine(item: Item): string {
  switch (item.type) {
    case "interface":
      // The forwarder creates the link; the NSE only needs it up.
      return ipLine("link", "set", "dev", item.name, "up");
    case "address":
      // No duplicate address detection: it would hold an IPv6 address back for a second or more.
      return isV6(item.cidr)
        ? ipLine("addr", "replace", item.cidr, "dev", item.ifName, "nodad")
        : ipLine("addr", "replace", item.cidr, "dev", item.ifName);
    case "route":
      return item.via
        ? ipLine("route", "replace", item.dst, "via", item.via, "dev", item.ifName, "onlink")
        : ipLine("route", "replace", item.dst, "dev", item.ifName);
  }
}

/** The line that removes an item, or undefined: interfaces belong to the forwarder and stay. */
export function delLine(item: Item): string | undefined {
  switch (item.type) {
    case "interface":
      return undefined;
    case "address":
      return ipLine("addr", "del", item.cidr, "dev", item.ifName);
    case "route":
      return item.via
        ? ipLine("route", "del", item.dst, "via", item.via, "dev", item.ifName)
        : ipLine("route", "del", item.dst, "dev", item.ifName);
  }
}

const RANK = { interface: 0, address: 1, route: 2 } as const;

/** Creation order: links, then addresses, then routes (a route may need its link up). */
export function putOrder(items: Item[]): Item[] {
  return [...items].sort((a, b) => RANK[a.type] - RANK[b.type]);
}

/** Removal order: routes, then addresses, then links. */
export function delOrder(items: Item[]): Item[] {
  return [...items].sort((a, b) => RANK[b.type] - RANK[a.type]);
}

/**
 * A delete that failed because the thing is already gone (its address, route or whole link):
 * the outcome the delete wanted, so not an error.
 */
export function isAlreadyGone(message: string): boolean {
  return /Cannot find device|does not exist|[Aa]ddress not found|No such process|Cannot assign requested address/.test(
    message,
  );
}
