// NSM path handling: this NSE owns one path segment (its name, a connection id, `expires`), and
// Connection.id is that segment's id. A request that already carries our segment right after the
// caller's is a refresh of that connection.
import { randomUUID } from "node:crypto";
import type { Connection, PathSegment } from "../grpc/gen/networkservice/connection.js";
import type { Element } from "./types.js";

export interface PathOptions {
  name: string;
  /** Lifetime of our segment, and of a connection whose caller's segment carries no `expires`. */
  maxTokenLifetimeMs: number;
  now?: () => number;
}

const segment = (name: string, id: string, expires: Date): PathSegment => ({
  name,
  id,
  token: "",
  expires,
  metrics: {},
});

/** Returns the request with our segment in place, and how long it lives without a refresh. */
export function updatePath(conn: Connection, o: PathOptions): { connection: Connection; lifetimeMs: number } {
  const now = (o.now ?? Date.now)();
  const segments = conn.path?.pathSegments ?? [];
  const index = conn.path?.index ?? 0;
  let id: string;
  let prev: PathSegment | undefined;
  let keep: PathSegment[];
  if (segments.length === 0) {
    // A caller without a path (a bare client): its Connection.id names the connection.
    id = conn.id || randomUUID();
    keep = [];
  } else if (segments[index]?.name === o.name) {
    // The caller sent back our answer as is: we are at the index, the caller's segment (if any) before.
    id = segments[index]!.id || randomUUID();
    prev = segments[index - 1];
    keep = segments.slice(0, index);
  } else {
    // NSM's way: the caller's segment at the index; ours right after it on a refresh.
    prev = segments[index];
    const ours = segments[index + 1];
    id = ours?.name === o.name && ours.id ? ours.id : randomUUID();
    keep = segments.slice(0, index + 1);
  }
  const prevExpiry = prev?.expires ? prev.expires.getTime() - now : undefined;
  const lifetimeMs = Math.max(0, Math.min(prevExpiry ?? o.maxTokenLifetimeMs, o.maxTokenLifetimeMs));
  const path = {
    index: segments.length === 0 ? 0 : index,
    pathSegments: [...keep, segment(o.name, id, new Date(now + o.maxTokenLifetimeMs))],
  };
  return { connection: { ...conn, id, path }, lifetimeMs };
}

/** Finds the id of our connection in a Close: our segment after the caller's, else Connection.id. */
export function connectionIdOf(conn: Connection, name: string): string {
  const segments = conn.path?.pathSegments ?? [];
  const index = conn.path?.index ?? 0;
  const ours =
    segments[index + 1]?.name === name ? segments[index + 1] : segments.find((s) => s.name === name);
  return ours?.id || conn.id;
}

export function updatepath(o: PathOptions): Element {
  return (next) => ({
    request: (req, ctx) => {
      const { connection, lifetimeMs } = updatePath(req.connection!, o);
      ctx.lifetimeMs = lifetimeMs;
      return next.request({ ...req, connection }, ctx);
    },
    close: (conn, ctx) => {
      // The same path a Request would have (our segment last), so updatetoken and authorize treat both alike.
      const id = connectionIdOf(conn, o.name);
      const path = updatePath(conn, o).connection.path!;
      const segments = path.pathSegments;
      segments[segments.length - 1] = { ...segments[segments.length - 1]!, id };
      return next.close({ ...conn, id, path }, ctx);
    },
  });
}
