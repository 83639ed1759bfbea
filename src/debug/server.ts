// The debug HTTP server: the actor tree, the UI, Prometheus metrics and the Kubernetes probes.
// node:http only; it binds loopback unless told otherwise, since the tree shows clients' addresses.
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import type { ActorView, Observable } from "../actors/observe.js";
import type { Logger } from "../log.js";
import { machineViews } from "./machines.js";
import { machinesPage } from "./machines-page.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { type ProbeReply, Probes } from "./probes.js";
import { findActor } from "./tree.js";
import { uiPage } from "./ui.js";

export interface DebugServerOptions {
  /** Defaults to 127.0.0.1. */
  host?: string;
  /** 0 picks a free port (see `url`). */
  port: number;
  observable: Observable;
  /** Every endpoint's tree for /debug/mesh (a sandbox's, see mesh.ts); default: this endpoint's alone. */
  trees?: () => ActorView[];
  /** The probes' answers for /healthz and /readyz (shared with the health listener); default: from
   * the observable's readiness alone. */
  probes?: Probes;
  /** The metrics to serve on /metrics (shared with the health listener); default: its own. */
  metrics?: Metrics;
  log: Logger;
}

export interface DebugServer {
  /** Base URL, e.g. http://127.0.0.1:9090 */
  url: string;
  /** Stop serving, drop open (keep-alive) connections and detach from the runtime's signals. */
  close(): Promise<void>;
}

export const ROUTES = [
  "/debug/actors",
  "/debug/actors/<id>",
  "/debug/actors/<id>?snapshot=1",
  "/debug/mesh",
  "/debug/ui",
  "/debug/machines",
  "/debug/machines?format=json",
  "/metrics",
  "/healthz",
  "/readyz",
];

type Reply = { status: number; body: string; type: string; headers?: Record<string, string> };

const ACTORS_PREFIX = "/debug/actors/";
// The page is self-contained: nothing but its own inline code and this server may be reached.
const UI_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; img-src data:";
// The state charts also load elk.js, which this server serves from node_modules.
const MACHINES_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; script-src 'self' 'unsafe-inline'; connect-src 'self'; img-src data:";
const ELK_PATH = createRequire(import.meta.url).resolve("elkjs/lib/elk.bundled.js");

export async function startDebugServer(options: DebugServerOptions): Promise<DebugServer> {
  const { observable, log } = options;
  const host = options.host ?? "127.0.0.1";
  const ownMetrics = options.metrics ? undefined : createMetrics(observable);
  const metrics = options.metrics ?? ownMetrics!;
  const ownProbes = options.probes ? undefined : new Probes({ readiness: () => observable.readiness() });
  const probes = options.probes ?? ownProbes!;
  const probe = (reply: ProbeReply): Reply => json(reply.status, reply.body);
  const trees = options.trees ?? (() => [observable.tree()]);
  const page: Reply = {
    status: 200,
    body: uiPage(),
    type: "text/html; charset=utf-8",
    headers: { "content-security-policy": UI_CSP },
  };

  const charts: Reply = {
    status: 200,
    body: machinesPage(),
    type: "text/html; charset=utf-8",
    headers: { "content-security-policy": MACHINES_CSP },
  };
  let elk: Promise<Reply> | undefined;
  const elkScript = () => {
    elk ??= readFile(ELK_PATH, "utf8").then((body) => ({
      status: 200,
      body,
      type: "text/javascript; charset=utf-8",
      headers: { "cache-control": "max-age=86400" },
    }));
    return elk;
  };

  const route = (path: string): ((url: URL, req: IncomingMessage) => Reply | Promise<Reply>) | undefined => {
    if (path === "/debug/actors" || path === ACTORS_PREFIX) return () => json(200, observable.tree());
    if (path.startsWith(ACTORS_PREFIX)) return (url) => actor(observable, path, url);
    if (path === "/debug/mesh") return () => json(200, { endpoints: trees() });
    if (path === "/debug/ui") return () => page;
    // JSON for a program (or ?format=json); the drawn charts for a browser.
    if (path === "/debug/machines")
      return (url, req) =>
        url.searchParams.get("format") === "json" || !(req.headers.accept ?? "").includes("text/html")
          ? json(200, machineViews())
          : charts;
    if (path === "/debug/machines/elk.js") return elkScript;
    if (path === "/metrics")
      return async () => ({ status: 200, body: await metrics.text(), type: metrics.contentType });
    if (path === "/healthz") return () => probe(probes.live());
    if (path === "/readyz") return () => probe(probes.ready());
    return undefined;
  };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://debug.invalid");
    const handler = route(url.pathname);
    try {
      if (!handler) send(res, json(404, { error: "not found", path: url.pathname, routes: ROUTES }));
      else if (req.method !== "GET" && req.method !== "HEAD") {
        const reply = json(405, { error: `method ${req.method} not allowed`, allow: ["GET", "HEAD"] });
        send(res, { ...reply, headers: { allow: "GET, HEAD" } });
      } else send(res, await handler(url, req));
    } catch (err) {
      log.warn({ err, path: url.pathname }, "debug request failed");
      if (res.headersSent) res.destroy();
      else send(res, json(500, { error: String((err as Error)?.message ?? err) }));
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (err) => log.warn({ err }, "debug server error"));
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  log.info({ url }, "debug server listening");

  return {
    url,
    close: async () => {
      ownMetrics?.close();
      ownProbes?.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // close() alone waits for idle keep-alive sockets (the UI's polling, a scraper) to time out.
      server.closeAllConnections();
      await closed;
    },
  };
}

function actor(observable: Observable, path: string, url: URL): Reply {
  let id: string;
  try {
    // Ids contain "/" ("connection/abc"): accept it raw or percent-encoded.
    id = decodeURIComponent(path.slice(ACTORS_PREFIX.length));
  } catch {
    return json(400, { error: "actor id is not valid percent-encoding" });
  }
  if (url.searchParams.has("snapshot") && url.searchParams.get("snapshot") !== "0") {
    const snapshot = observable.persistedSnapshot(id);
    return snapshot === undefined
      ? json(404, { error: "no snapshot for this actor", id })
      : json(200, snapshot);
  }
  const view = findActor(observable.tree(), id);
  return view ? json(200, view) : json(404, { error: "no such actor", id });
}

function json(status: number, body: unknown): Reply {
  return { status, body: `${JSON.stringify(body, null, 2)}\n`, type: "application/json; charset=utf-8" };
}

function send(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, { "content-type": reply.type, "cache-control": "no-store", ...reply.headers });
  res.end(reply.body);
}
