// The connections an nsmgr forwarded, by its own path segment id, with an index by every path
// segment id: a monitor call that names a segment finds its connections without a scan of them all.
// Also how a forwarded Close goes on (closePath, sendClose), shared by the nsmgr and the nsmgr proxy.
import * as grpc from "@grpc/grpc-js";
import type { Connection, MonitorScopeSelector } from "../grpc/gen/networkservice/connection.js";
import { matchesSelector } from "../grpc/monitor.js";
import type { Logger } from "../log.js";
import type { ClientTransport } from "./client-gone.js";

export interface Forwarded {
  target: string;
  nse: string;
  response: Connection;
  /** The TLS identity that sent its last Request here (undefined on plain text): only it may be gone. */
  by?: string;
  /** Its endpoint's monitor broke: the endpoint lost it (kept for the owner's Close or re-request). */
  lost?: boolean;
  /** The client's transport its last Request came over (client-gone.ts), where the nsmgr can tell. */
  via?: ClientTransport;
}

export class ForwardedTable {
  private readonly byId = new Map<string, Forwarded>();
  private readonly bySegment = new Map<string, Set<string>>();

  get(id: string): Forwarded | undefined {
    return this.byId.get(id);
  }

  set(id: string, f: Forwarded): void {
    this.delete(id);
    this.byId.set(id, f);
    for (const s of f.response.path?.pathSegments ?? []) {
      if (!s.id) continue;
      const ids = this.bySegment.get(s.id) ?? new Set<string>();
      this.bySegment.set(s.id, ids);
      ids.add(id);
    }
  }

  delete(id: string): void {
    const f = this.byId.get(id);
    if (!f) return;
    this.byId.delete(id);
    for (const s of f.response.path?.pathSegments ?? []) {
      const ids = this.bySegment.get(s.id);
      ids?.delete(id);
      if (ids?.size === 0) this.bySegment.delete(s.id);
    }
  }

  /**
   * Our ids of the connections `owner` made: its segment is the first of their path, and the identity
   * that watched as it (`by`) is the one that requested them (a selector's segment proves nothing).
   */
  ownedBy(owner: { name: string; id: string; by?: string }): string[] {
    const candidates = owner.id ? [...(this.bySegment.get(owner.id) ?? [])] : [...this.byId.keys()];
    return candidates.filter((id) => {
      const f = this.byId.get(id);
      const first = f?.response.path?.pathSegments[0];
      return first?.name === owner.name && (!owner.id || first.id === owner.id) && f?.by === owner.by;
    });
  }

  /** The connections forwarded to one endpoint. */
  to(target: string): Forwarded[] {
    return [...this.byId.values()].filter((f) => f.target === target);
  }

  /** The forwarded connections a monitor selector matches. */
  matching(selector: MonitorScopeSelector): Forwarded[] {
    const key = selector.pathSegments.find((s) => s.id)?.id;
    const candidates = key
      ? [...(this.bySegment.get(key) ?? [])].map((id) => this.byId.get(id)!)
      : [...this.byId.values()];
    return candidates.filter((f) => matchesSelector(f.response, selector));
  }
}

/**
 * The path a Close goes on with: the caller's segments as this hop stamped them (its token, ours), then
 * the hops after ours as they last answered. Never the stored path alone: the endpoint must see who
 * closes, not who requested (a Close from another identity is then refused there).
 */
export function closePath(stamped: Connection, known: Forwarded): Connection["path"] {
  const ours = stamped.path!.pathSegments.at(-1)!;
  const answered = known.response.path?.pathSegments ?? [];
  const after = answered.slice(answered.findIndex((s) => s.id === ours.id) + 1);
  return {
    index: stamped.path!.pathSegments.length - 1,
    pathSegments: [...stamped.path!.pathSegments, ...after],
  };
}

/**
 * Sends a forwarded Close: resolves to the far side's refusal (PERMISSION_DENIED, another identity's
 * Close: nothing here may change then), else undefined. Any other failure is only logged: the
 * connection is forgotten here all the same and the far side lets it expire.
 */
export function sendClose(
  send: () => Promise<unknown>,
  log: Logger,
  id: string,
): Promise<grpc.ServiceError | undefined> {
  return send().then(
    () => undefined,
    (err: grpc.ServiceError) => {
      if (err.code === grpc.status.PERMISSION_DENIED) return err;
      log.debug({ err, connection: id }, "forwarded Close failed; the far side expires it");
      return undefined;
    },
  );
}
