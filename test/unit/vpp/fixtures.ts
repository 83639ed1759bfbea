// Items of the two link kinds a vL3 NSE programs, named as the endpoint names them.
import { interfaceName } from "../../../src/dataplane/names.js";
import type { AddressItem, InterfaceItem, Item, RouteItem } from "../../../src/dataplane/types.js";

export const SOCKET_DIR = "/run/vl3-test/memif";

/** An NSC served by this NSE: memif master, the NSE's address on it, a route to the client's /32. */
export function nscConnection(connId: string, nseAddress: string, clientAddress: string) {
  const name = interfaceName("nsc", connId);
  const iface: InterfaceItem = {
    type: "interface",
    name,
    role: "server",
    mechanism: { cls: "LOCAL", type: "MEMIF", parameters: {} },
  };
  const address: AddressItem = { type: "address", ifName: name, cidr: `${nseAddress}/32` };
  const route: RouteItem = { type: "route", dst: `${clientAddress}/32`, ifName: name };
  const items: Item[] = [iface, address, route];
  return { name, iface, address, route, items };
}

/**
 * A peer NSE this NSE dialled: memif slave on the socket the mechanism names (relative: under the socket
 * directory), our address, a route to the peer /32 and to its prefix via it.
 */
export function peerLink(peerName: string, ourAddress: string, peerAddress: string, peerPrefix: string) {
  const name = interfaceName("peer", peerName);
  const iface: InterfaceItem = {
    type: "interface",
    name,
    role: "client",
    mechanism: {
      cls: "LOCAL",
      type: "MEMIF",
      parameters: { socketfile: `peers/${peerName}.sock` },
    },
  };
  const address: AddressItem = { type: "address", ifName: name, cidr: `${ourAddress}/32` };
  const toPeer: RouteItem = { type: "route", dst: `${peerAddress}/32`, ifName: name };
  const toPrefix: RouteItem = { type: "route", dst: peerPrefix, ifName: name, via: peerAddress };
  const items: Item[] = [iface, address, toPeer, toPrefix];
  return { name, iface, address, toPeer, toPrefix, items };
}

/** Order-insensitive comparison of item lists. */
export function sorted(items: Item[]): Item[] {
  return [...items].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}
