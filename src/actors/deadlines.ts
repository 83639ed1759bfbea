// Deadlines of many waits on one timer: a wait per RPC (settle) would otherwise arm and clear a
// timer of its own, and nearly all of them are cleared long before they fire.

type Expire = () => void;

/** What a deadline tells when it passes: an object of the waiter's own (no closure per wait). */
export interface Expiring {
  expire(): void;
}

const waiting = new Map<object, { at: number; expire: Expire | Expiring }>();
let timer: NodeJS.Timeout | undefined;
let timerAt = Number.POSITIVE_INFINITY;

function arm(at: number): void {
  clearTimeout(timer);
  timerAt = at;
  timer = setTimeout(sweep, Math.max(0, at - Date.now()));
}

/** Fires every wait that is due, then arms the timer for the earliest one left. */
function sweep(): void {
  timer = undefined;
  timerAt = Number.POSITIVE_INFINITY;
  const now = Date.now();
  let next = Number.POSITIVE_INFINITY;
  for (const [key, w] of waiting) {
    if (w.at <= now) {
      waiting.delete(key);
      if (typeof w.expire === "function") w.expire();
      else w.expire.expire();
    } else next = Math.min(next, w.at);
  }
  if (Number.isFinite(next)) arm(next);
}

/** Calls `expire` at `at` (epoch ms) unless `cancel` is called first; returns `cancel`. */
export function atDeadline(at: number, expire: Expire): () => void {
  const key = {};
  waiting.set(key, { at, expire });
  if (at < timerAt) arm(at);
  return () => cancelDeadline(key);
}

/** Tells `target` at `at` (epoch ms) unless cancelled first (`cancelDeadline(target)`). */
export function deadlineFor(at: number, target: Expiring): void {
  waiting.set(target, { at, expire: target });
  if (at < timerAt) arm(at);
}

export function cancelDeadline(key: object): void {
  if (!waiting.delete(key)) return;
  if (waiting.size === 0 && timer) {
    clearTimeout(timer);
    timer = undefined;
    timerAt = Number.POSITIVE_INFINITY;
  }
}
