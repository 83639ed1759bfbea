// Prometheus metrics of one endpoint, on a Registry of its own (never prom-client's global one, so
// tests and several runtimes in one process don't collide). Counters and histograms are fed by the
// runtime's lifecycle signals; the actor gauge is read from the live tree at scrape time.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { LifecycleSignal, Observable } from "../actors/observe.js";
import { flatten } from "./tree.js";

/** NSM Requests take milliseconds when healthy and up to the request timeout (15 s) when not. */
const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30];
const DATAPLANE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export interface Metrics {
  registry: Registry;
  /** The Prometheus text exposition of every series. */
  text(): Promise<string>;
  contentType: string;
  /** Stop listening to the runtime's signals. */
  close(): void;
}

export function createMetrics(observable: Observable): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "vl3_" });

  new Gauge({
    name: "vl3_actors",
    help: "Live actors by machine and state.",
    labelNames: ["machine", "state"],
    registers: [registry],
    collect() {
      // Rebuilt on every scrape, so states nobody is in any more disappear.
      this.reset();
      for (const { view } of flatten(observable.tree()))
        this.inc({ machine: view.machine, state: view.state });
    },
  });

  const requests = new Counter({
    name: "vl3_requests_total",
    help: "NSM Requests answered, by requester kind (client = NSC, peer = NSE), outcome and gRPC code.",
    labelNames: ["kind", "outcome", "code"],
    registers: [registry],
  });
  const rejections = new Counter({
    name: "vl3_request_rejections_total",
    help: "Requests and Closes refused for what they carried, by RPC, gRPC code and field (indexes and keys taken out).",
    labelNames: ["rpc", "code", "field"],
    registers: [registry],
  });
  const requestSeconds = new Histogram({
    name: "vl3_request_duration_seconds",
    help: "Time to answer an NSM Request.",
    labelNames: ["kind", "outcome"],
    buckets: REQUEST_BUCKETS,
    registers: [registry],
  });
  const closes = new Counter({
    name: "vl3_closes_total",
    help: "NSM Closes handled, by outcome.",
    labelNames: ["outcome"],
    registers: [registry],
  });
  const closeSeconds = new Histogram({
    name: "vl3_close_duration_seconds",
    help: "Time to handle an NSM Close.",
    buckets: REQUEST_BUCKETS,
    registers: [registry],
  });
  const transactions = new Counter({
    name: "vl3_dataplane_transactions_total",
    help: "Data-plane transactions committed, by backend and outcome.",
    labelNames: ["backend", "outcome"],
    registers: [registry],
  });
  const transactionSeconds = new Histogram({
    name: "vl3_dataplane_transaction_duration_seconds",
    help: "Time to commit one data-plane transaction.",
    labelNames: ["backend"],
    buckets: DATAPLANE_BUCKETS,
    registers: [registry],
  });
  // Labelled by family so a dual-stack endpoint's two pools don't overwrite each other.
  const ipamUsed = new Gauge({
    name: "vl3_ipam_addresses_used",
    help: "Addresses handed out from the endpoint's prefix.",
    labelNames: ["family"],
    registers: [registry],
  });
  const ipamCapacity = new Gauge({
    name: "vl3_ipam_addresses_capacity",
    help: "Addresses the endpoint's prefix can hand out.",
    labelNames: ["family"],
    registers: [registry],
  });
  const peersUp = new Gauge({
    name: "vl3_peers_up",
    help: "Peer NSEs this endpoint currently has a working connection with.",
    registers: [registry],
  });

  // Names of the peers that are up; a peer that goes down is forgotten, so churn can't grow it.
  const peers = new Set<string>();
  const onSignal = (signal: LifecycleSignal) => {
    switch (signal.type) {
      case "request":
        requests.inc({
          kind: signal.kind,
          outcome: signal.outcome,
          code: signal.code ?? defaultCode(signal),
        });
        requestSeconds.observe({ kind: signal.kind, outcome: signal.outcome }, signal.seconds);
        break;
      case "rejection":
        rejections.inc({ rpc: signal.rpc, code: signal.code, field: signal.field });
        break;
      case "close":
        closes.inc({ outcome: signal.outcome });
        closeSeconds.observe(signal.seconds);
        break;
      case "dataplane":
        transactions.inc({ backend: signal.backend, outcome: signal.outcome });
        transactionSeconds.observe({ backend: signal.backend }, signal.seconds);
        break;
      case "ipam": {
        const family = signal.prefix.includes(":") ? "ipv6" : "ipv4";
        ipamUsed.set({ family }, signal.used);
        ipamCapacity.set({ family }, signal.capacity);
        break;
      }
      case "peer":
        if (signal.up) peers.add(signal.name);
        else peers.delete(signal.name);
        peersUp.set(peers.size);
        break;
      // Transitions show up in vl3_actors; prefix changes in the tree and in Events.
      case "transition":
      case "prefix":
        break;
    }
  };
  const unsubscribe = observable.onSignal(onSignal);
  peersUp.set(0);

  return {
    registry,
    text: () => registry.metrics(),
    contentType: registry.contentType,
    close: unsubscribe,
  };
}

function defaultCode(signal: { outcome: "ok" | "error" }): string {
  return signal.outcome === "ok" ? "OK" : "UNKNOWN";
}
