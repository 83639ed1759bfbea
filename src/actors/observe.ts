// What the runtime shows of itself: the actor tree and lifecycle signals, for the debug server,
// metrics, Kubernetes Events and `vl3-nse status`. Plain data, JSON-serialisable.

export type ActorKind = "endpoint" | "connection" | "peer";

export interface ActorView {
  /** Stable id: "endpoint", "connection/<connection id>", "peer/<peer NSE name>". */
  id: string;
  kind: ActorKind;
  /** The XState machine id ("endpoint", "connection", "peer"). */
  machine: string;
  /** The state value as a dotted string ("up", "healing.waiting"). */
  state: string;
  /** ISO time the actor entered that state. */
  since: string;
  /** What it stands for: NSC connection (id, network service, client labels), peer (name, url, role). */
  subject: Record<string, string>;
  addresses: string[];
  routes: string[];
  lastError?: string;
  children: ActorView[];
}

/** Signals for metrics and Events. */
export type LifecycleSignal =
  | { type: "request"; kind: "client" | "peer"; outcome: "ok" | "error"; code?: string; seconds: number }
  | { type: "close"; outcome: "ok" | "error"; seconds: number }
  /** A prefix its source gave that this endpoint cannot use (outside the pool, not a CIDR): kept the one it holds. */
  | { type: "prefix-refused"; prefix: string; source: string; reason: string }
  /** A Request or Close refused for what it carried; `field` with indexes and keys taken out ("a.b[]"). */
  | { type: "rejection"; rpc: "Request" | "Close"; code: string; field: string }
  | { type: "transition"; actor: ActorKind; id: string; from: string; to: string }
  | { type: "dataplane"; backend: string; outcome: "ok" | "error"; seconds: number; items: number }
  | {
      type: "prefix";
      prefix: string;
      source: string /** this endpoint's own address in it */;
      address?: string;
    }
  | { type: "peer"; name: string; up: boolean; reason?: string }
  | { type: "ipam"; prefix: string; used: number; capacity: number }
  | LinkSignal;

/**
 * A connection (an NSC's, or a peer's link to us: "connection/<id>") or a link we dialled
 * ("peer/<name>") as committed (up) or gone: what workload DNS builds its names and its fanout from.
 */
export interface LinkSignal {
  type: "link";
  id: string;
  kind: "client" | "peer";
  up: boolean;
  connectionId: string;
  networkService: string;
  endpointName: string;
  payload: string;
  labels: Record<string, string>;
  /** The NSC's addresses (src_ip_addrs); for a link we dialled, the peer's (dst_ip_addrs). */
  addresses: string[];
  /** Every DNS server the connection's DNS context names. */
  dnsServers: string[];
}

/** Implemented by the endpoint runtime; consumed by src/debug and src/k8s. */
export interface Observable {
  /** The live actor tree. */
  tree(): ActorView;
  /** A persisted XState snapshot of one actor (JSON), or undefined if there is no such actor. */
  persistedSnapshot(id: string): unknown;
  /** Subscribe to lifecycle signals; returns an unsubscribe function. */
  onSignal(listener: (signal: LifecycleSignal) => void): () => void;
  /** Readiness parts for /readyz. */
  readiness(): { registered: boolean; prefix: boolean; dataplane: boolean };
}
