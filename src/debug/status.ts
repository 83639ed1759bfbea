// `vl3-nse status`: the actor tree of a running endpoint, fetched from its debug server and shown
// as a terminal table.
import type { ActorView } from "../actors/observe.js";
import { table } from "../util/table.js";

const SUBJECT_WIDTH = 48;

/** GET <url>/debug/actors. `url` is the debug server's base URL, e.g. http://127.0.0.1:9090. */
export async function fetchTree(url: string, timeoutMs = 5000): Promise<ActorView> {
  const target = new URL("/debug/actors", url);
  let res: Response;
  try {
    res = await fetch(target, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new Error(`cannot reach the debug server at ${url} (${cause}); is NSM_DEBUG_LISTEN_ON set?`);
  }
  if (!res.ok) throw new Error(`GET ${target} answered ${res.status} ${res.statusText}`);
  return (await res.json()) as ActorView;
}

/** The tree as a table: one row per actor, children indented under their parent. */
export function formatStatus(tree: ActorView, now: Date = new Date()): string {
  const header = ["ACTOR", "STATE", "SINCE", "SUBJECT", "ADDRESSES", "LAST ERROR"];
  const rows: string[][] = [];
  const visit = (view: ActorView, prefix: string, branch: string) => {
    rows.push([
      prefix + branch + view.id,
      view.state,
      relativeTime(view.since, now),
      clip(formatSubject(view), SUBJECT_WIDTH),
      view.addresses.join(",") || "-",
      oneLine(view.lastError ?? ""),
    ]);
    // Under a root there is no rail to continue; under a child, continue its rail if it has siblings.
    const childPrefix = branch === "" ? "" : prefix + (branch === "├─ " ? "│  " : "   ");
    view.children.forEach((child, i) => {
      visit(child, childPrefix, i === view.children.length - 1 ? "└─ " : "├─ ");
    });
  };
  visit(tree, "", "");
  return `${table(header, rows)}\n`;
}

/** "42s", "3m05s", "2h07m", "4d03h"; a timestamp in the future (clock skew) counts as now. */
export function relativeTime(iso: string, now: Date): string {
  const then = Date.parse(iso);
  if (!Number.isFinite(then)) return "?";
  const s = Math.max(0, Math.floor((now.getTime() - then) / 1000));
  const two = (n: number) => String(n).padStart(2, "0");
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${two(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${two(m % 60)}m`;
  return `${Math.floor(h / 24)}d${two(h % 24)}h`;
}

/** key=value pairs, leaving out what the actor id already says (connection=<id>, name=<peer>). */
function formatSubject(view: ActorView): string {
  const named = view.id.slice(view.id.indexOf("/") + 1);
  const parts = Object.entries(view.subject)
    .filter(([, v]) => v !== named)
    .map(([k, v]) => `${k}=${v}`);
  return parts.length > 0 ? parts.join(" ") : "-";
}

function clip(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
