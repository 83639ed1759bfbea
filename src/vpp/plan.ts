// Turns one of our transactions into agent requests: one Delete (key fields only) and one Update,
// each without duplicate agent keys, plus what undoes them if the agent applies only part of it.
import type { Item, RouteItem, Transaction } from "../dataplane/types.js";
import type { Interface } from "../grpc/gen/ligato/vpp/interfaces/interface.js";
import type { Route } from "../grpc/gen/ligato/vpp/l3/route.js";
import { interfaceKey, routeKey } from "./keys.js";
import { interfaceKeyOnly, type MappingOptions, toVppInterface, toVppRoute } from "./mapping.js";
import { Mirror } from "./mirror.js";

/** Agent values by agent key: a Map is what makes a request free of duplicate keys. */
export class AgentValues {
  readonly interfaces = new Map<string, Interface>();
  readonly routes = new Map<string, Route>();

  addInterface(value: Interface): void {
    this.interfaces.set(interfaceKey(value), value);
  }

  addRoute(value: Route): void {
    this.routes.set(routeKey(value), value);
  }

  get size(): number {
    return this.interfaces.size + this.routes.size;
  }

  keys(): string[] {
    return [...this.interfaces.keys(), ...this.routes.keys()];
  }

  config(): { interfaces: Interface[]; routes: Route[] } {
    return { interfaces: [...this.interfaces.values()], routes: [...this.routes.values()] };
  }
}

export interface Plan {
  del: AgentValues;
  put: AgentValues;
  /** The inverse: re-put what was there before, delete what was not. */
  undo: { del: AgentValues; put: AgentValues };
  /** Restores the mirror to its state before the transaction. */
  revertMirror: () => void;
}

/** Plans `txn` against `mirror` and applies it to the mirror (call `revertMirror` on failure). */
export function planTransaction(mirror: Mirror, txn: Transaction, opts: MappingOptions): Plan {
  const interfaceValue = (name: string) => {
    const item = mirror.interface(name);
    return item && toVppInterface(item, mirror.addressesOf(name), opts);
  };
  const touched = new Set<string>();
  for (const item of [...txn.del, ...txn.put]) touched.add(linkOf(item));
  touched.delete("");
  const oldInterfaces = new Map([...touched].map((name) => [name, interfaceValue(name)] as const));
  const routeExisted = new Map<RouteItem, boolean>();
  for (const item of [...txn.del, ...txn.put])
    if (item.type === "route") routeExisted.set(item, mirror.has(item));

  const revertMirror = mirror.apply(txn);
  const plan: Plan = {
    del: new AgentValues(),
    put: new AgentValues(),
    undo: { del: new AgentValues(), put: new AgentValues() },
    revertMirror,
  };
  const explicitlyDeleted = new Set(txn.del.flatMap((i) => (i.type === "interface" ? [i.name] : [])));
  for (const name of touched) {
    const now = interfaceValue(name);
    const old = oldInterfaces.get(name);
    if (now) {
      plan.put.addInterface(now);
      if (old) plan.undo.put.addInterface(old);
      else plan.undo.del.addInterface(interfaceKeyOnly(name));
    } else if (old || explicitlyDeleted.has(name)) {
      // Deleted even when we never saw it applied: a stale interface after our restart goes too.
      plan.del.addInterface(interfaceKeyOnly(name));
      if (old) plan.undo.put.addInterface(old);
    }
    // An address on an interface that does not exist yet waits in the mirror until the interface comes.
  }
  // A route's value is its key fields, so an existing route re-put is a no-op and needs no undo.
  const putRouteKeys = new Set<string>();
  for (const item of txn.put) {
    if (item.type !== "route") continue;
    const value = toVppRoute(item);
    plan.put.addRoute(value);
    putRouteKeys.add(routeKey(value));
    if (!routeExisted.get(item)) plan.undo.del.addRoute(value);
  }
  for (const item of txn.del) {
    if (item.type !== "route") continue;
    const value = toVppRoute(item);
    if (putRouteKeys.has(routeKey(value))) continue;
    plan.del.addRoute(value);
    if (routeExisted.get(item)) plan.undo.put.addRoute(value);
  }
  return plan;
}

function linkOf(item: Item): string {
  if (item.type === "interface") return item.name;
  if (item.type === "address") return item.ifName;
  return "";
}

/** All agent values of `items` (a full resync), de-duplicated by agent key. */
export function agentValues(items: Item[], opts: MappingOptions): AgentValues {
  return planTransaction(new Mirror(), { put: items, del: [] }, opts).put;
}
