// Ownership: a connection belongs to the client that created it, named by the first segment of its
// path (name and id) and, once mTLS is on, by the caller's SPIFFE ID. This is the one place that says
// who owns what; the endpoint checks it (checkOwner) inside its per-connection lane, so that two
// racing callers cannot both pass. The element only names the caller (CallContext.owner).
import type { Connection, MonitorScopeSelector } from "../grpc/gen/networkservice/connection.js";
import { quote } from "../util/quote.js";
import { RequestError } from "./errors.js";
import type { Element } from "./types.js";

export interface Owner {
  /** The first path segment's name: the NSC (or dialling NSE) that created the connection. */
  name: string;
  /** The first path segment's id: that client's own id for the connection. */
  id: string;
  /** The caller's SPIFFE ID: filled when mTLS is on (issue 11); undefined without it. */
  identity?: string;
}

/** A caller that names no segment of its own (a bare client): it can only act on bare connections. */
export const ANONYMOUS: Readonly<Owner> = Object.freeze({ name: "", id: "" });

/**
 * Who sends `conn`: its first path segment, unless that is this NSE's own (a bare client sending
 * back our answer as is) or there is none. `identity` is the caller's verified SPIFFE ID, if any.
 */
export function ownerOf(conn: Connection, self: string, identity?: string): Owner {
  const first = conn.path?.pathSegments[0];
  const named = first && first.name !== self ? { name: first.name, id: first.id } : { ...ANONYMOUS };
  return identity === undefined ? named : { ...named, identity };
}

export function sameOwner(a: Owner, b: Owner): boolean {
  return a.name === b.name && a.id === b.id && (a.identity ?? "") === (b.identity ?? "");
}

/**
 * Refuses a caller that is not the owner of connection `id` (PERMISSION_DENIED); a connection that
 * does not exist (`existing` undefined) is anyone's to create. Says nothing about the real owner.
 */
export function checkOwner(existing: Owner | undefined, caller: Owner, id: string): void {
  if (existing === undefined || sameOwner(existing, caller)) return;
  throw new RequestError(
    "PERMISSION_DENIED",
    `connection.path.path_segments[0]: connection ${quote(id)} belongs to another client`,
  );
}

/**
 * Whether a monitor selector says whose connections it wants: a path segment (the NSC's own, or the
 * NSE's as nsmgr and vl3lb ask). An empty selector cannot be told from anyone: it is shown nothing.
 */
export function selectorNamesCaller(selector: MonitorScopeSelector): boolean {
  return selector.pathSegments.some((s) => s.name !== "" || s.id !== "");
}

/** The element: names the caller of every Request and Close on CallContext.owner. */
export function owner(o: { name: string }): Element {
  return (next) => ({
    request: (req, ctx) => {
      ctx.owner = ownerOf(req.connection!, o.name, ctx.identity);
      return next.request(req, ctx);
    },
    close: (conn, ctx) => {
      ctx.owner = ownerOf(conn, o.name, ctx.identity);
      return next.close(conn, ctx);
    },
  });
}
