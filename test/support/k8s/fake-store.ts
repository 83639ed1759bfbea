// Storage for the fake API server: objects by namespace/name with the API server's resourceVersion,
// and a watchable store that keeps a history of changes (replayed to a watch, 410 once compacted).
import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";

export interface StoredObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name?: string;
    generateName?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** One resourceVersion sequence for every store, as etcd has. */
let revision = 100;

const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

export function statusBody(code: number, reason: string, message: string): object {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code };
}

export class Stored {
  protected readonly objects = new Map<string, StoredObject>();

  get(ns: string, name: string): StoredObject | undefined {
    const o = this.objects.get(`${ns}/${name}`);
    return o && copy(o);
  }

  list(ns: string): StoredObject[] {
    return [...this.objects.values()].filter((o) => o.metadata.namespace === ns).map(copy);
  }

  /** Equality selectors only ("a=b,c=d"), which is all vl3-nse sends. */
  listResponse(ns: string, kind: string, labelSelector?: string): object {
    const wanted = (labelSelector ?? "")
      .split(",")
      .filter(Boolean)
      .map((s) => s.split("="));
    const items = this.list(ns).filter((o) => wanted.every(([k, v]) => o.metadata.labels?.[k!] === v));
    return { kind, apiVersion: "v1", metadata: { resourceVersion: String(revision) }, items };
  }

  put(ns: string, obj: StoredObject): StoredObject {
    const prev = this.objects.get(`${ns}/${obj.metadata.name}`);
    const stored = copy(obj);
    stored.metadata.namespace = ns;
    stored.metadata.uid = prev?.metadata.uid ?? obj.metadata.uid ?? randomUUID();
    stored.metadata.creationTimestamp = prev?.metadata.creationTimestamp ?? new Date().toISOString();
    stored.metadata.resourceVersion = String(++revision);
    this.objects.set(`${ns}/${obj.metadata.name}`, stored);
    return copy(stored);
  }

  delete(ns: string, name: string): void {
    this.objects.delete(`${ns}/${name}`);
  }
}

interface Change {
  rv: number;
  type: "ADDED" | "MODIFIED" | "DELETED";
  object: StoredObject;
}

interface Watcher {
  ns: string;
  name: string;
  res: ServerResponse;
}

export class WatchHub extends Stored {
  private history: Change[] = [];
  private compactedAt = 0;
  private readonly watchers = new Set<Watcher>();

  override put(ns: string, obj: StoredObject): StoredObject {
    const existed = this.get(ns, obj.metadata.name!) !== undefined;
    const stored = super.put(ns, obj);
    this.emit({ rv: revision, type: existed ? "MODIFIED" : "ADDED", object: stored });
    return stored;
  }

  remove(ns: string, name: string): void {
    const cur = this.get(ns, name);
    if (!cur) return;
    this.delete(ns, name);
    cur.metadata.resourceVersion = String(++revision);
    this.emit({ rv: revision, type: "DELETED", object: cur });
  }

  compact(): void {
    this.history = [];
    this.compactedAt = revision;
  }

  endAll(): void {
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
  }

  /** A watch of one object: replays changes after `fromRv`, then streams new ones as JSON lines. */
  watch(ns: string, name: string, fromRv: string | undefined, res: ServerResponse): void {
    res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
    res.flushHeaders(); // the client's watch() resolves on the headers
    const w: Watcher = { ns, name, res };
    const from = Number(fromRv ?? "0");
    if (from > 0 && from < this.compactedAt) {
      const status = statusBody(410, "Expired", `too old resource version: ${from} (${this.compactedAt})`);
      res.end(`${JSON.stringify({ type: "ERROR", object: status })}\n`);
      return;
    }
    if (from === 0) {
      const cur = this.get(ns, name);
      if (cur) res.write(`${JSON.stringify({ type: "ADDED", object: cur })}\n`);
    } else {
      for (const c of this.history) if (c.rv > from && this.matches(w, c)) this.send(w, c);
    }
    this.watchers.add(w);
    res.on("close", () => this.watchers.delete(w));
  }

  private emit(change: Change): void {
    this.history.push(change);
    for (const w of this.watchers) if (this.matches(w, change)) this.send(w, change);
  }

  private matches(w: Watcher, c: Change): boolean {
    return c.object.metadata.namespace === w.ns && c.object.metadata.name === w.name;
  }

  private send(w: Watcher, c: Change): void {
    w.res.write(`${JSON.stringify({ type: c.type, object: c.object })}\n`);
  }
}
