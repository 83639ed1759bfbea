// Notices that a client of the nsmgr died, so that what it left downstream is closed on its behalf.
// A healing client (NSM's heal) keeps a monitor call open on the nsmgr for as long as it holds
// connections; that call ending because its transport ended (the process died: the kernel closed its
// sockets; or keepalive gave up on it) means nobody will Close or refresh what it requested over a
// transport that ended too. NSM's own nsmgr leaves them to expire; here the endpoints learn at once
// (docs/sandbox.md, "A client that dies").
import type * as grpc from "@grpc/grpc-js";
import { tlsPeerOf } from "../grpc/caller.js";
import type { ConnectionEvent, MonitorScopeSelector } from "../grpc/gen/networkservice/connection.js";
import type { Logger } from "../log.js";
import type { ForwardedTable } from "./forwarded.js";

/** The connection (socket) a call came on, as far as the nsmgr can see it. */
export interface ClientTransport {
  readonly destroyed: boolean;
  readonly readableEnded: boolean;
  once(event: "close", listener: () => void): unknown;
  off(event: "close", listener: () => void): unknown;
}

export interface Owner {
  name: string;
  id: string;
  /** The monitor caller's TLS identity (undefined on plain text): its selector alone proves nothing. */
  by?: string;
}

export interface ClientGoneOptions {
  /** The transport of a call, looked up when the call begins (undefined: cannot tell; nothing is done). */
  transportOf(
    call: grpc.ServerWritableStream<MonitorScopeSelector, ConnectionEvent>,
  ): ClientTransport | undefined;
  /** The owner's watch was cut with its transport: close what it requested over transports that end. */
  gone(owner: Owner): void;
  ends: TransportEnds;
}

/** A transport that ended: the peer closed or reset it, or it was destroyed (keepalive timeout). */
export const transportEnded = (t: ClientTransport): boolean => t.destroyed || t.readableEnded;

/** Something to run if a transport ends before `until` (ms since the epoch; Infinity: no limit yet). */
interface Waiter {
  fn: () => void;
  until: number;
  done: boolean;
}

/**
 * Runs what must happen when a transport ends: while a monitor call on it is open, or within a short
 * window (2 s) after. The socket is watched, not only the call: a dead process's sockets close
 * together, but grpc-js may report a call on one of them late or (seen under load) not until keepalive
 * gives up. One "close" listener per transport, however many wait on it (clients may share a socket).
 */
export class TransportEnds {
  private readonly waiting = new Map<ClientTransport, Set<Waiter>>();

  constructor(private readonly windowMs = 2000) {}

  /** Runs `fn` if `transport` ends before `settle` is called, or within the window after it. */
  watch(transport: ClientTransport, fn: () => void): Waiter {
    const waiter: Waiter = { fn, until: Number.POSITIVE_INFINITY, done: false };
    if (transportEnded(transport)) {
      this.run(waiter);
      return waiter;
    }
    let waiting = this.waiting.get(transport);
    if (!waiting) {
      waiting = new Set();
      this.waiting.set(transport, waiting);
      transport.once("close", () => this.closed(transport));
    }
    const now = Date.now();
    for (const w of waiting) if (w.until < now) waiting.delete(w);
    waiting.add(waiter);
    return waiter;
  }

  /** What `watch` waits for counts for the window from now only. */
  settle(transport: ClientTransport, waiter: Waiter): void {
    waiter.until = Date.now() + this.windowMs;
    if (transportEnded(transport)) this.run(waiter);
  }

  /** Runs `fn` if `transport` has ended or ends within the window. */
  within(transport: ClientTransport, fn: () => void): void {
    this.settle(transport, this.watch(transport, fn));
  }

  private closed(transport: ClientTransport): void {
    const waiting = this.waiting.get(transport);
    this.waiting.delete(transport);
    const now = Date.now();
    for (const w of waiting ?? []) if (w.until >= now) this.run(w);
  }

  private run(w: Waiter): void {
    if (w.done) return;
    w.done = true;
    w.fn();
  }
}

/**
 * The MonitorHub's `caller` hook. Only a watch of one's own connections counts: a selector whose
 * first segment names the owner (NSM's clients and our peer links select by their own segment). A
 * client that only cancelled its watch keeps its transport, and nothing happens.
 */
export function clientGone(o: ClientGoneOptions) {
  return (call: grpc.ServerWritableStream<MonitorScopeSelector, ConnectionEvent>): (() => void) => {
    const first = call.request.pathSegments[0];
    const transport = first?.name ? o.transportOf(call) : undefined;
    if (!first || !transport) return () => {};
    const owner: Owner = { name: first.name, id: first.id, by: tlsPeerOf(call)?.spiffeId };
    const waiter = o.ends.watch(transport, () => o.gone(owner));
    return () => o.ends.settle(transport, waiter);
  };
}

/**
 * The nsmgr's hook: a client gone, each connection it made is closed on its behalf if the transport
 * its last Request came over ends too. A new incarnation of the same name (a restart) requests over
 * new transports, and a client that reconnected has re-requested over its new one: both keep theirs.
 */
export function closingForGone(o: {
  forwarded: ForwardedTable;
  ends: TransportEnds;
  transportOf: ClientGoneOptions["transportOf"];
  log: Logger;
  close(id: string): void;
}) {
  return clientGone({
    transportOf: o.transportOf,
    ends: o.ends,
    gone: (owner) => {
      for (const id of o.forwarded.ownedBy(owner)) {
        const via = o.forwarded.get(id)?.via;
        if (!via) continue;
        o.ends.within(via, () => {
          if (o.forwarded.get(id)?.via !== via) return; // re-requested since, over a live transport
          o.log.info({ client: owner.name, connection: id }, "client gone; closing for it");
          o.close(id);
        });
      }
    },
  });
}
