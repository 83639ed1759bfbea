// When a peer actor acts on its own: the dialling side's refresh of an up link, and its backoff while
// healing. Pure functions of the link and the attempt count, used by the peer machine's delays.
import type { Connection } from "../grpc/gen/networkservice/connection.js";

/** Without any expiry on the link's path, refresh this often anyway. */
const DEFAULT_REFRESH_MS = 60_000;

/**
 * When the dialling side re-requests its link: at a third of the shortest lifetime left on the
 * link's path (as NSM's refresh does), so that the serving side never expires a healthy link.
 */
export function refreshMs(link: Connection | undefined, now: number): number {
  const left = (link?.path?.pathSegments ?? []).flatMap((s) =>
    s.expires ? [s.expires.getTime() - now] : [],
  );
  if (left.length === 0) return DEFAULT_REFRESH_MS;
  return Math.max(10, Math.floor(Math.min(...left) / 3));
}

/** Exponential backoff without jitter; the runtime provides a jittered one. */
export function backoffMs(attempt: number, backoff: { initialMs: number; maxMs: number }): number {
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, attempt - 1));
}
