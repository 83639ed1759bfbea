// The data-plane contract: the endpoint keeps its desired state as keyed items, owned per
// connection or per peer link, and a back end (in-memory, VPP agent, Linux kernel) makes it real.

/** Which side of a link this NSE is: it serves an NSC or a dialling peer, or it dialled a peer. */
export type LinkRole = "server" | "client";

/** An interface the NSE attaches to one link (memif in VPP, the NSE end of a veth in the kernel). */
export interface InterfaceItem {
  type: "interface";
  /** Unique, at most 15 characters (Linux IFNAMSIZ); derived from the owner id. */
  name: string;
  role: LinkRole;
  /** The NSM mechanism the link was negotiated with (cls, type, parameters). */
  mechanism: { cls: string; type: string; parameters: Record<string, string> };
}

/** An address on one of the NSE's interfaces, as CIDR ("172.16.1.1/32"). */
export interface AddressItem {
  type: "address";
  ifName: string;
  cidr: string;
}

/** A route in the NSE: `dst` through `ifName`, optionally via a next hop. */
export interface RouteItem {
  type: "route";
  dst: string;
  ifName: string;
  via?: string;
}

export type Item = InterfaceItem | AddressItem | RouteItem;

/** The stable key of an item: a change of any key field is a different item (as in vpp-agent). */
export function itemKey(item: Item): string {
  switch (item.type) {
    case "interface":
      return `interface/${item.name}`;
    case "address":
      return `address/${item.ifName}/${item.cidr}`;
    case "route":
      return `route/${item.dst}/${item.ifName}/${item.via ?? ""}`;
  }
}

/** One transaction: items to create or replace, and items to remove. */
export interface Transaction {
  put: Item[];
  del: Item[];
}

/**
 * A data-plane back end. `apply` is one transaction and either succeeds or throws with nothing of
 * it left applied (a back end that cannot revert itself must compensate). The queue guarantees one
 * call in flight at a time and no duplicate keys within a transaction.
 */
export interface Dataplane {
  readonly name: string;
  /**
   * Optional: owners this back end wants in one transaction at most, when each transaction has a high
   * fixed cost (the kernel's is an `ip -batch` process); the queue's default is 64.
   */
  readonly maxBatch?: number;
  /** The network namespace the links end in, as a file (NSM's mechanism `inodeURL`); undefined = this
   * process's own. The sendfd element passes its descriptor to whoever asked for the link. */
  readonly netnsFile?: string;
  apply(txn: Transaction): Promise<void>;
  /** Replace everything this NSE owns in the back end with `desired` (start-up, back-end restart). */
  resync(desired: Item[]): Promise<void>;
  /** What is actually programmed now (for tests, debug and reconciliation). */
  dump(): Promise<Item[]>;
  close(): Promise<void>;
  /** Optional: `listener` runs when the back end may have lost what it was given (a vpp-agent that
   * restarted); the owner then resyncs. Returns the unsubscribe. */
  onReset?(listener: () => void): () => void;
}

/** Thrown by a back end that is unreachable: the queue retries with backoff instead of failing. */
export class DataplaneUnavailableError extends Error {
  override name = "DataplaneUnavailableError";
}
