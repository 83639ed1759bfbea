// `vl3-nse status --watch`: the status table redrawn as the actors' states change. On a terminal the
// screen is redrawn in place every interval (so SINCE keeps counting); into a pipe or a file a new
// table is written only when some actor's state, addresses or last error changed.
import type { ActorView } from "../actors/observe.js";
import { fetchTree, formatStatus } from "./status.js";
import { flatten } from "./tree.js";

export interface WatchOptions {
  write: (text: string) => void;
  /** Redraw in place (clear the screen) instead of appending. */
  tty: boolean;
  intervalMs?: number;
  signal: AbortSignal;
  now?: () => Date;
}

const CLEAR = "\x1b[H\x1b[2J";

/** What a change is: the actors, their states, addresses and errors (not the clock). */
export function statesKey(tree: ActorView): string {
  return flatten(tree)
    .map(({ view }) => `${view.id} ${view.state} ${view.addresses.join(",")} ${view.lastError ?? ""}`)
    .join("\n");
}

/** Runs until `signal` aborts; an unreachable server is reported and retried. */
export async function watchStatus(url: string, o: WatchOptions): Promise<void> {
  const interval = o.intervalMs ?? 1000;
  const now = o.now ?? (() => new Date());
  let last = "";
  while (!o.signal.aborted) {
    let text: string;
    let key: string;
    try {
      const tree = await fetchTree(url, Math.max(interval, 1000));
      key = statesKey(tree);
      text = formatStatus(tree, now());
    } catch (err) {
      text = `${(err as Error).message}; retrying\n`;
      key = text;
    }
    if (o.tty) o.write(`${CLEAR}${text}\n${now().toLocaleTimeString()}  (Ctrl-C to stop)\n`);
    else if (key !== last) o.write(`${last ? "\n" : ""}${text}`);
    last = key;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, interval);
      o.signal.addEventListener(
        "abort",
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
  }
}
