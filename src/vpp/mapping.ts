// Our data-plane items as vpp-agent values, and back. Addresses are not values of their own in the
// agent: they live in the Interface's ip_addresses, so an interface is always built with its addresses.
import { isAbsolute, join } from "node:path";
import type { AddressItem, InterfaceItem, Item, RouteItem } from "../dataplane/types.js";
import {
  type Interface,
  Interface_RxMode_Type,
  Interface_Type,
} from "../grpc/gen/ligato/vpp/interfaces/interface.js";
import { type Route, Route_RouteType } from "../grpc/gen/ligato/vpp/l3/route.js";
import type { ConfigData } from "../grpc/gen/ligato/vpp/vpp.js";

/** Interfaces vl3-nse owns in a shared VPP: NSC links and peer links (see src/dataplane/names.ts). */
export const OWNED_INTERFACE = /^(nsc|vl3)-/;

export const MEMIF_RING_SIZE = 512;

export interface MappingOptions {
  /** Where memif sockets live when the mechanism names none, and what a relative socketfile is under. */
  memifSocketDir: string;
}

/** The memif socket of a link: the mechanism's `socketfile`, else one socket per interface. NSM's
 * abstract socket names (`@/tmp/memif/<id>/memif.socket`) become VPP's `abstract:` form. */
export function memifSocket(item: InterfaceItem, opts: MappingOptions): string {
  const file = item.mechanism.parameters.socketfile;
  if (!file) return join(opts.memifSocketDir, `${item.name}.sock`);
  if (file.startsWith("@")) return `abstract:${file.slice(1)}`;
  return isAbsolute(file) ? file : join(opts.memifSocketDir, file);
}

/** A memif in interrupt mode; the NSE is master when it serves (an NSC or a dialling peer). */
export function toVppInterface(item: InterfaceItem, addresses: string[], opts: MappingOptions): Interface {
  return {
    name: item.name,
    type: Interface_Type.MEMIF,
    enabled: true,
    physAddress: "",
    ipAddresses: addresses,
    vrf: 0,
    mtu: 0,
    rxModes: [{ queue: 0, mode: Interface_RxMode_Type.INTERRUPT, defaultMode: true }],
    memif: {
      mode: 0,
      master: item.role === "server",
      id: 0,
      socketFilename: memifSocket(item, opts),
      secret: "",
      ringSize: MEMIF_RING_SIZE,
      bufferSize: 0,
      rxQueues: 0,
      txQueues: 0,
    },
  };
}

export function toVppRoute(item: RouteItem): Route {
  return {
    type: Route_RouteType.INTRA_VRF,
    vrfId: 0,
    dstNetwork: item.dst,
    nextHopAddr: item.via ?? "",
    outgoingInterface: item.ifName,
    weight: 0,
    preference: 0,
    viaVrfId: 0,
  };
}

/** The key fields of an interface: all a Delete needs. */
export function interfaceKeyOnly(name: string): Interface {
  return { name, type: 0, enabled: false, physAddress: "", ipAddresses: [], vrf: 0, mtu: 0, rxModes: [] };
}

/** Whether a dumped interface is what `item` programs (fields we set that VPP keeps). */
export function sameLink(dumped: Interface, item: InterfaceItem, opts: MappingOptions): boolean {
  return (
    dumped.type === Interface_Type.MEMIF &&
    dumped.memif?.master === (item.role === "server") &&
    dumped.memif.socketFilename === memifSocket(item, opts)
  );
}

/**
 * Agent configuration back to our items: only interfaces vl3-nse owns and routes through them.
 * `known` supplies the mechanism of links we programmed (VPP does not keep NSM's mechanism).
 */
export function fromVppConfig(
  config: ConfigData | undefined,
  opts: MappingOptions,
  known: (name: string) => InterfaceItem | undefined = () => undefined,
): Item[] {
  const interfaces: InterfaceItem[] = [];
  const addresses: AddressItem[] = [];
  const routes: RouteItem[] = [];
  const owned = new Set<string>();
  for (const iface of config?.interfaces ?? []) {
    if (!OWNED_INTERFACE.test(iface.name)) continue;
    owned.add(iface.name);
    const mine = known(iface.name);
    if (mine && sameLink(iface, mine, opts)) {
      interfaces.push(mine);
    } else {
      const filename = iface.memif?.socketFilename ?? "";
      const socketfile = filename.startsWith("abstract:")
        ? `@${filename.slice("abstract:".length)}`
        : filename;
      interfaces.push({
        type: "interface",
        name: iface.name,
        role: iface.memif?.master ? "server" : "client",
        mechanism: { cls: "LOCAL", type: "MEMIF", parameters: socketfile ? { socketfile } : {} },
      });
    }
    for (const cidr of iface.ipAddresses) addresses.push({ type: "address", ifName: iface.name, cidr });
  }
  for (const r of config?.routes ?? []) {
    if (!owned.has(r.outgoingInterface)) continue;
    const route: RouteItem = { type: "route", dst: r.dstNetwork, ifName: r.outgoingInterface };
    if (r.nextHopAddr) route.via = r.nextHopAddr;
    routes.push(route);
  }
  return [...interfaces, ...addresses, ...routes];
}
