// connection.MonitorConnection: INITIAL_STATE_TRANSFER of the connections that match the scope
// selector, then UPDATE and DELETE events for them, until the caller cancels. With path tokens on, a
// caller sees only connections whose path it signed a segment of (NSM's service_connection rule).
import type { ConnectionEvents } from "../actors/monitor-events.js";
import { selectorNamesCaller } from "../chain/owner.js";
import { tookPart } from "../security/policies.js";
import { tlsPeerOf } from "./caller.js";
import {
  type Connection,
  ConnectionEventType,
  type MonitorConnectionServer,
  type MonitorScopeSelector,
  type PathSegment,
} from "./gen/networkservice/connection.js";

const segmentMatches = (want: PathSegment, have: PathSegment) =>
  (!want.name || want.name === have.name) &&
  (!want.id || want.id === have.id) &&
  (!want.token || want.token === have.token);

/** NSM's matching: network services are an OR list; path segments must match a contiguous run. */
export function matchesSelector(conn: Connection, selector: MonitorScopeSelector): boolean {
  if (selector.networkServices.length > 0 && !selector.networkServices.includes(conn.networkService))
    return false;
  const want = selector.pathSegments;
  if (want.length === 0) return true;
  const have = conn.path?.pathSegments ?? [];
  for (let start = 0; start + want.length <= have.length; start++) {
    if (want.every((w, i) => segmentMatches(w, have[start + i]!))) return true;
  }
  return false;
}

/**
 * `open` collects the streams being served, so that a shutting-down server can end them itself
 * (its callers see a clean end, not a cut at the shutdown grace period).
 */
export function monitorServer(
  events: ConnectionEvents,
  open: Set<{ end(): void }> = new Set(),
  o: { pathTokens?: boolean } = {},
): MonitorConnectionServer {
  return {
    monitorConnections: (call) => {
      const selector = call.request;
      // A caller that does not say whose connections it wants is shown none (src/chain/owner.ts).
      const allowed = selectorNamesCaller(selector);
      const caller = o.pathTokens ? tlsPeerOf(call)?.spiffeId : undefined;
      const visible = (c: Connection) =>
        matchesSelector(c, selector) && (!o.pathTokens || tookPart(c.path?.pathSegments ?? [], caller));
      const pick = (list: Connection[]) =>
        allowed ? Object.fromEntries(list.filter(visible).map((c) => [c.id, c])) : {};
      // Subscribe first so that nothing falls between the snapshot and the first event.
      const buffered: Array<{ type: ConnectionEventType; connections: Record<string, Connection> }> = [];
      let live = false;
      const unsubscribe = events.subscribe((e) => {
        const c = e.connection;
        if (!allowed || !visible(c)) return;
        const event = {
          type: e.type === "UPDATE" ? ConnectionEventType.UPDATE : ConnectionEventType.DELETE,
          connections: { [c.id]: c },
        };
        if (live) call.write(event);
        else buffered.push(event);
      });
      call.write({ type: ConnectionEventType.INITIAL_STATE_TRANSFER, connections: pick(events.snapshot()) });
      for (const e of buffered) call.write(e);
      live = true;
      open.add(call);
      const stop = () => {
        unsubscribe();
        open.delete(call);
      };
      call.on("cancelled", stop);
      call.on("close", stop);
      call.on("error", stop);
    },
  };
}
