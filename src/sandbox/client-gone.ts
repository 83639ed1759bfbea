// Notices that a client of the nsmgr died, so that what it left downstream is closed on its behalf.
// A healing client (NSM's heal) keeps a monitor call open on the nsmgr for as long as it holds
// connections; that call ending because its transport ended (the process died: the kernel closed its
// sockets; or keepalive gave up on it) means nobody will Close or refresh them. NSM's own nsmgr
// leaves them to expire; here the endpoints learn at once (docs/sandbox.md, "A client that dies").
import type * as grpc from "@grpc/grpc-js";
import { tlsPeerOf } from "../grpc/caller.js";
import type { ConnectionEvent, MonitorScopeSelector } from "../grpc/gen/networkservice/connection.js";

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
  /** Whether the owner still watches through another call (it reconnected and healed already). */
  watching(owner: Owner): boolean;
  /** The owner is gone: close its connections downstream. */
  gone(owner: Owner): void;
  /** A call cancelled this long before its transport ended counts as ended by it (default 2 s). */
  windowMs?: number;
}

const ended = (t: ClientTransport) => t.destroyed || t.readableEnded;

/**
 * The MonitorHub's `caller` hook. Only a watch of one's own connections counts: a selector whose
 * first segment names the owner (NSM's clients and our peer links select by their own segment).
 */
export function clientGone(o: ClientGoneOptions) {
  const windowMs = o.windowMs ?? 2000;
  return (call: grpc.ServerWritableStream<MonitorScopeSelector, ConnectionEvent>): (() => void) => {
    const first = call.request.pathSegments[0];
    const transport = first?.name ? o.transportOf(call) : undefined;
    if (!first || !transport) return () => {};
    const owner: Owner = { name: first.name, id: first.id, by: tlsPeerOf(call)?.spiffeId };
    const decide = () => {
      if (!o.watching(owner)) o.gone(owner);
    };
    return () => {
      if (ended(transport)) return decide();
      // grpc-js may report the call's end before the socket's: wait a moment for the socket.
      // A client that only cancelled keeps its socket, and the wait passes without a word.
      const timer = setTimeout(() => transport.off("close", onClose), windowMs);
      timer.unref();
      const onClose = () => {
        clearTimeout(timer);
        decide();
      };
      transport.once("close", onClose);
    };
  };
}
