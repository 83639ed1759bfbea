// FAKE vpp-agent state, never VPP: the agent's desired (NB) store and what it would have put "in VPP",
// following the documented kvscheduler behaviour closely enough for contract tests.

import { type Interface, Interface_Type } from "../grpc/gen/ligato/vpp/interfaces/interface.js";
import type { Route } from "../grpc/gen/ligato/vpp/l3/route.js";
import type { ConfigData } from "../grpc/gen/ligato/vpp/vpp.js";
import { parseCidr } from "../ipam/cidr.js";
import { interfaceKey, routeKey } from "./keys.js";

export type ValueState = "CONFIGURED" | "PENDING" | "FAILED" | "INVALID";
export type TxnOperation = "CREATE" | "UPDATE" | "DELETE";

/** Which values fail in VPP (test hook): a set of agent keys or a predicate. */
export type FailKeys = ReadonlySet<string> | ((key: string, op: TxnOperation) => boolean);

type Value = { kind: "interface"; value: Interface } | { kind: "route"; value: Route };

interface Entry {
  value: Value;
  datasrc: string;
  state: ValueState;
}

/** The whole request is refused before any change (the agent's dispatcher check). */
export class RequestRejected extends Error {}

/** Some values failed; the others stay applied (best effort, no revert). */
export class TransactionFailed extends Error {}

export class FakeAgentStore {
  private readonly entries = new Map<string, Entry>();
  private seq = 0;
  failKeys: FailKeys | undefined;

  /** Applies one Update; returns the transaction number (seqnum). Throws RequestRejected/TransactionFailed. */
  update(config: ConfigData | undefined, datasrc: string, fullResync: boolean): number {
    const values = uniqueValues(config);
    if (fullResync) {
      for (const [key, entry] of this.entries) if (entry.datasrc === datasrc) this.entries.delete(key);
    }
    const errors: string[] = [];
    for (const [key, value] of values) {
      const op: TxnOperation = this.entries.has(key) ? "UPDATE" : "CREATE";
      const invalid = validate(value);
      let state: ValueState = "CONFIGURED";
      if (invalid) {
        state = "INVALID";
        errors.push(`${key} (${op}): ${invalid}`);
      } else if (this.fails(key, op)) {
        state = "FAILED";
        errors.push(`${key} (${op}): injected failure (fake vpp-agent)`);
      }
      this.entries.set(key, { value, datasrc, state });
    }
    return this.finish(errors);
  }

  /** Applies one Delete: values are identified by their key fields only. */
  delete(config: ConfigData | undefined): number {
    const errors: string[] = [];
    for (const key of uniqueValues(config).keys()) {
      const entry = this.entries.get(key);
      if (!entry) continue;
      // Removing a value that never made it into VPP (PENDING, FAILED) touches nothing there, so it cannot fail.
      if (entry.state === "CONFIGURED" && this.fails(key, "DELETE"))
        errors.push(`${key} (DELETE): injected failure (fake vpp-agent)`);
      else this.entries.delete(key);
    }
    return this.finish(errors);
  }

  /** Get: the desired configuration, including PENDING and FAILED values. */
  desired(): ConfigData {
    return this.collect(() => true);
  }

  /** Dump: only what is in VPP. */
  running(): ConfigData {
    return this.collect((e) => e.state === "CONFIGURED");
  }

  state(key: string): ValueState | undefined {
    return this.entries.get(key)?.state;
  }

  get size(): number {
    return this.entries.size;
  }

  private fails(key: string, op: TxnOperation): boolean {
    const f = this.failKeys;
    if (!f) return false;
    return typeof f === "function" ? f(key, op) : f.has(key);
  }

  /** Routes follow their interface: PENDING while it is not in VPP, CONFIGURED once it is. */
  private finish(errors: string[]): number {
    for (const entry of this.entries.values()) {
      if (entry.value.kind !== "route" || (entry.state !== "CONFIGURED" && entry.state !== "PENDING"))
        continue;
      const oif = entry.value.value.outgoingInterface;
      const up = !oif || this.entries.get(interfaceKey({ name: oif }))?.state === "CONFIGURED";
      entry.state = up ? "CONFIGURED" : "PENDING";
    }
    const seq = this.seq++;
    if (errors.length > 0) throw new TransactionFailed(`KeyErrors: [${errors.join(", ")}]`);
    return seq;
  }

  private collect(keep: (e: Entry) => boolean): ConfigData {
    const out: ConfigData = { interfaces: [], routes: [] };
    for (const entry of this.entries.values()) {
      if (!keep(entry)) continue;
      if (entry.value.kind === "interface") out.interfaces.push(entry.value.value);
      else out.routes.push(entry.value.value);
    }
    return out;
  }
}

/** Values by key; two values with one key refuse the whole request, as the agent's dispatcher does. */
function uniqueValues(config: ConfigData | undefined): Map<string, Value> {
  const values = new Map<string, Value>();
  const add = (key: string, value: Value) => {
    if (values.has(key)) throw new RequestRejected(`found multiple key-value pairs with same key: "${key}"`);
    values.set(key, value);
  };
  for (const value of config?.interfaces ?? []) add(interfaceKey(value), { kind: "interface", value });
  for (const value of config?.routes ?? []) add(routeKey(value), { kind: "route", value });
  return values;
}

/** The few checks the agent's descriptors make that matter here; returns why a value is invalid. */
function validate(v: Value): string | undefined {
  if (v.kind === "interface") {
    if (!v.value.name) return "field name is invalid: missing interface name";
    if (v.value.type === Interface_Type.MEMIF && !v.value.memif) return "interface type and link mismatch";
    for (const ip of v.value.ipAddresses) if (!isCidr(ip)) return `field ip_addresses is invalid: "${ip}"`;
    return undefined;
  }
  if (!isCidr(v.value.dstNetwork)) return `field dst_network is invalid: "${v.value.dstNetwork}"`;
  return undefined;
}

function isCidr(value: string): boolean {
  try {
    parseCidr(value);
    return true;
  } catch {
    return false;
  }
}
