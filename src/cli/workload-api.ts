// `vl3-nse workload-api`: the development and test SPIFFE Workload API server. A local CA for
// --trust-domain issues short-lived SVIDs (--svid-ttl, re-issued every --rotate-every) on each --listen
// socket, to whoever connects: the socket stands for the workload. For laptops, CI and demos only.
import { hostname } from "node:os";
import { ConfigError } from "../config/errors.js";
import { parseDuration, parseList } from "../config/parse.js";
import { createLogger, type Logger } from "../log.js";
import { WorkloadApiServer } from "../security/workload-api-server.js";
import { UsageError } from "./args.js";

export interface WorkloadApiFlags {
  listen?: string;
  trustDomain?: string;
  spiffeId?: string;
  svidTtl?: string;
  rotateEvery?: string;
}

export async function runWorkloadApi(
  flags: WorkloadApiFlags,
  untilSignal: (log: Logger) => Promise<void>,
): Promise<void> {
  if (!flags.listen) throw new UsageError("workload-api needs --listen unix:///path/agent.sock");
  if (!flags.trustDomain) throw new UsageError("workload-api needs --trust-domain (for example example.org)");
  const listens = parseList(flags.listen);
  const ids = flags.spiffeId
    ? parseList(flags.spiffeId)
    : [`spiffe://${flags.trustDomain}/ns/default/pod/${hostname().toLowerCase()}`];
  if (ids.length !== listens.length) {
    throw new UsageError(
      `--spiffe-id names ${ids.length} ID(s) for ${listens.length} --listen socket(s); pair them`,
    );
  }
  const svidTtlMs = parseDuration("--svid-ttl", flags.svidTtl ?? "1h");
  const rotateEveryMs = parseDuration("--rotate-every", flags.rotateEvery ?? `${svidTtlMs / 2}ms`);
  if (rotateEveryMs <= 0 || rotateEveryMs >= svidTtlMs) {
    throw new ConfigError("--rotate-every", "must be more than 0 and less than --svid-ttl");
  }
  const log = createLogger({ name: "vl3-workload-api" });
  let server: WorkloadApiServer;
  try {
    server = await WorkloadApiServer.start({ trustDomain: flags.trustDomain, svidTtlMs, rotateEveryMs, log });
    for (const [i, listen] of listens.entries()) await server.addWorkload({ listen, spiffeId: ids[i]! });
  } catch (e) {
    if (e instanceof ConfigError || e instanceof UsageError) throw e;
    throw new UsageError((e as Error).message);
  }
  log.warn(
    { trustDomain: server.trustDomain, svidTtlMs, rotateEveryMs },
    "development Workload API: SVIDs go to anyone who can reach the sockets; never use it in production",
  );
  await untilSignal(log);
  await server.stop();
}
