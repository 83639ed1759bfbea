// The nsmgr's MonitorConnections, served as NSM's nsmgr does it: from its own table of the
// connections it forwarded, kept current by one monitor stream per endpoint it forwards to (every
// connection through this nsmgr), fanned out to the callers whose selector matches. A stream per
// caller and per endpoint would cost two gRPC streams per connection: a third of the CPU of a
// 100-endpoint mesh. An endpoint whose stream breaks has lost its connections: callers get DELETE.
// With path tokens on, a caller is shown only connections whose path it signed a segment of, as the
// endpoint's monitor does (NSM's rule): a selector alone would show anyone every path and its ids.
import type * as grpc from "@grpc/grpc-js";
import { tlsPeerOf } from "../grpc/caller.js";
import {
  type Connection,
  type ConnectionEvent,
  ConnectionEventType,
  type MonitorScopeSelector,
  State,
} from "../grpc/gen/networkservice/connection.js";
import { matchesSelector } from "../grpc/monitor.js";
import { shareEncoding } from "../grpc/serialize.js";
import { tookPart } from "../security/policies.js";
import type { EndpointClients } from "./endpoint-clients.js";
import type { ForwardedTable } from "./forwarded.js";

interface Subscriber {
  selector: MonitorScopeSelector;
  /** Whether the caller may see this connection (always, with path tokens off). */
  sees(connection: Connection): boolean;
  write(event: ConnectionEvent): void;
}

interface Upstream {
  stream: grpc.ClientReadableStream<ConnectionEvent>;
  /** The endpoint's connections through us that it has not deleted. */
  live: Set<string>;
}

export class MonitorHub {
  private readonly upstreams = new Map<string, Upstream>();
  /** Callers that name a path segment id, by that id; by name those that name only a segment's name
   * (a dialling endpoint watching all its links: one per endpoint, so never all checked per event);
   * the others are checked on every event. */
  private readonly bySegment = new Map<string, Set<Subscriber>>();
  private readonly byName = new Map<string, Set<Subscriber>>();
  private readonly others = new Set<Subscriber>();

  constructor(
    private readonly o: {
      name: string;
      clients: EndpointClients;
      forwarded: ForwardedTable;
      /** Path tokens on: each caller sees only the connections whose path it signed a segment of. */
      pathTokens?: boolean;
      /** A caller's monitor call began; the function returned is called when it ends, whatever the
       * reason (client-gone.ts tells a client that died from one that cancelled). */
      caller?(call: grpc.ServerWritableStream<MonitorScopeSelector, ConnectionEvent>): () => void;
    },
  ) {}

  /** A connection was forwarded to `target`: watch that endpoint (once) until it deletes them all. */
  watch(target: string, connectionId: string): void {
    const known = this.upstreams.get(target);
    if (known) {
      known.live.add(connectionId);
      return;
    }
    const stream = this.o.clients.monitor(target, {
      pathSegments: [{ name: this.o.name, id: "", token: "", expires: undefined, metrics: {} }],
      networkServices: [],
    });
    const upstream: Upstream = { stream, live: new Set([connectionId]) };
    this.upstreams.set(target, upstream);
    stream.on("data", (event: ConnectionEvent) => {
      // Its initial state is ours already: we answer callers from what we forwarded.
      if (event.type === ConnectionEventType.INITIAL_STATE_TRANSFER) return;
      const entries = Object.entries(event.connections);
      // The usual event, one connection under its id, goes on as it came (its bytes: relay.ts).
      const asCame = entries.length === 1 && entries[0]![0] === entries[0]![1].id ? event : undefined;
      for (const [, c] of entries) {
        this.publish(event.type, c, asCame);
        if (event.type === ConnectionEventType.DELETE) upstream.live.delete(c.id);
      }
      if (upstream.live.size === 0) this.unwatch(target);
    });
    const broken = () => {
      if (this.upstreams.get(target) !== upstream) return;
      this.upstreams.delete(target);
      for (const f of this.o.forwarded.to(target)) {
        if (!upstream.live.has(f.response.id)) continue;
        f.lost = true; // a caller that subscribes only now must not see it either
        this.publish(ConnectionEventType.DELETE, { ...f.response, state: State.DOWN });
      }
    };
    stream.on("error", broken);
    stream.on("end", broken);
  }

  /** Serves one MonitorConnections call until the caller goes. */
  serve(call: grpc.ServerWritableStream<MonitorScopeSelector, ConnectionEvent>): void {
    const selector = call.request;
    const caller = this.o.pathTokens ? tlsPeerOf(call)?.spiffeId : undefined;
    const sees = (c: Connection) => !this.o.pathTokens || tookPart(c.path?.pathSegments ?? [], caller);
    const connections = Object.fromEntries(
      this.o.forwarded
        .matching(selector)
        .filter((f) => !f.lost && sees(f.response))
        .map((f) => [f.response.id, f.response]),
    );
    call.write({ type: ConnectionEventType.INITIAL_STATE_TRANSFER, connections });
    const subscriber: Subscriber = { selector, sees, write: (e) => call.write(e) };
    // A selector matches only connections with a segment of the id (or name) it wants.
    const id = selector.pathSegments.find((s) => s.id)?.id;
    const name = id ? undefined : selector.pathSegments.find((s) => s.name)?.name;
    const index = id ? this.bySegment : name ? this.byName : undefined;
    const key = (id ?? name)!;
    const set = index ? (index.get(key) ?? new Set<Subscriber>()) : this.others;
    index?.set(key, set);
    set.add(subscriber);
    const ended = this.o.caller?.(call);
    let stopped = false;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      set.delete(subscriber);
      if (index && set.size === 0) index.delete(key);
      ended?.();
    };
    call.on("cancelled", stop);
    call.on("close", stop);
    call.on("error", stop);
  }

  closeAll(): void {
    for (const target of [...this.upstreams.keys()]) this.unwatch(target);
  }

  private unwatch(target: string): void {
    const upstream = this.upstreams.get(target);
    this.upstreams.delete(target);
    upstream?.stream.cancel();
  }

  /** `asCame`: the endpoint's event holding only this connection, written as it is. Otherwise one
   * event is made, encoded once for all the callers it goes to. */
  private publish(type: ConnectionEventType, connection: Connection, asCame?: ConnectionEvent): void {
    const candidates = new Set(this.others);
    for (const s of connection.path?.pathSegments ?? []) {
      for (const sub of this.bySegment.get(s.id) ?? []) candidates.add(sub);
      for (const sub of this.byName.get(s.name) ?? []) candidates.add(sub);
    }
    let event = asCame;
    for (const sub of candidates) {
      if (!matchesSelector(connection, sub.selector) || !sub.sees(connection)) continue;
      event ??= shareEncoding({ type, connections: { [connection.id]: connection } });
      sub.write(event);
    }
  }
}
