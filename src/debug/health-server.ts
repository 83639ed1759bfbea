// The health listener (NSM_HEALTH_LISTEN_ON): only /healthz, /readyz and /metrics, so that the kubelet
// can probe the pod's address and Prometheus scrape it, while the debug server, which shows clients'
// addresses, stays on loopback. The metrics name no client (counts, durations, states).
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../log.js";
import type { Metrics } from "./metrics.js";
import type { Probes } from "./probes.js";

export interface HealthServer {
  /** Base URL, e.g. http://0.0.0.0:9091 */
  url: string;
  close(): Promise<void>;
}

export async function startHealthServer(o: {
  host: string;
  port: number;
  probes: Probes;
  /** Served on /metrics when given (the Prometheus text format). */
  metrics?: Metrics;
  log: Logger;
}): Promise<HealthServer> {
  const routes = ["/healthz", "/livez", "/readyz", ...(o.metrics ? ["/metrics"] : [])];
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://health.invalid").pathname;
    if (path === "/metrics" && o.metrics) return void serveMetrics(o.metrics, req.method, res, o.log);
    const reply =
      path === "/healthz" || path === "/livez"
        ? o.probes.live()
        : path === "/readyz"
          ? o.probes.ready()
          : { status: 404, body: { error: "not found", path, routes } };
    res.writeHead(reply.status, {
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-store",
    });
    res.end(req.method === "HEAD" ? undefined : `${JSON.stringify(reply.body)}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (err) => o.log.warn({ err }, "health listener error"));
  const { port } = server.address() as AddressInfo;
  const url = `http://${o.host.includes(":") ? `[${o.host}]` : o.host}:${port}`;
  o.log.info({ url }, "health listener for the probes");
  return {
    url,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

async function serveMetrics(metrics: Metrics, method: string | undefined, res: ServerResponse, log: Logger) {
  try {
    const text = await metrics.text();
    res.writeHead(200, { "content-type": metrics.contentType, "cache-control": "no-store" });
    res.end(method === "HEAD" ? undefined : text);
  } catch (err) {
    log.warn({ err }, "metrics could not be collected");
    res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
    res.end("metrics could not be collected\n");
  }
}
