// Starts one vl3-nse in-process (startNse: the whole chain, gRPC server and endpoint actor) on a
// real socket, with the in-memory data plane, and gives real grpc-js clients for it. Standalone: no
// nsmgr, no registry, no debug server.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { type Config, loadConfig } from "../../src/config/config.js";
import { MemoryDataplane } from "../../src/dataplane/memory.js";
import { withFdPassing } from "../../src/grpc/fd-transport.js";
import { HealthClient } from "../../src/grpc/gen/grpc/health/v1/health.js";
import {
  type Connection,
  type ConnectionEvent,
  MonitorConnectionClient,
  type MonitorScopeSelector,
} from "../../src/grpc/gen/networkservice/connection.js";
import type { IPContext } from "../../src/grpc/gen/networkservice/connectioncontext.js";
import {
  NetworkServiceClient,
  NetworkServiceRequest,
} from "../../src/grpc/gen/networkservice/networkservice.js";
import { Transport } from "../../src/grpc/transport.js";
import { silentLogger } from "../../src/log.js";
import { startNse, type Vl3Nse } from "../../src/nse.js";
import type { PrefixSource } from "../../src/prefix/types.js";
import { testSecurity } from "./security.js";

export const SERVICE = "vl3-test";

export interface TestNse {
  nse: Vl3Nse;
  config: Config;
  dataplane: MemoryDataplane;
  /** The grpc-js target of the first listen URL ("unix:///..." or "127.0.0.1:port"). */
  target: string;
  ns: NetworkServiceClient;
  monitor: MonitorConnectionClient;
  health: HealthClient;
  /** How the clients reach the endpoint (mTLS as nsc-test, or plain text): for clients of a test's own. */
  clientTransport: Transport;
  request(req: RequestShape, timeoutMs?: number): Promise<Connection>;
  close(conn: Connection, timeoutMs?: number): Promise<void>;
  /** Stops the NSE (if not stopped yet), closes the clients and removes the temp dir. */
  stop(): Promise<void>;
}

export type DeepPartial<T> = T extends Date
  ? T
  : T extends Array<infer U>
    ? Array<DeepPartial<U>>
    : T extends object
      ? { [K in keyof T]?: DeepPartial<T[K]> }
      : T;

/** What a test sends: any part of a request; the rest takes protobuf defaults. */
export type RequestShape = DeepPartial<NetworkServiceRequest>;

export interface TestNseOptions {
  /** NSM_* settings on top of the test defaults. */
  env?: Record<string, string>;
  /** "unix" (default) or "tcp" (127.0.0.1, port 0). */
  transport?: "unix" | "tcp";
  dataplane?: MemoryDataplane;
  /** Instead of the static prefix from the configuration. */
  prefixSource?: PrefixSource;
  /** Plain text both ways (NSM_INSECURE=true): only for tests about the plain wire. Default: SPIFFE
   * mTLS, the endpoint spiffe://test.nsm/ns/vl3/pod/nse-test, the clients .../ns/default/pod/nsc-test. */
  insecure?: boolean;
  /** NSM's descriptor path both ways (NSM_FD_PASSING=true, clients over FdSockets): unix only, needs
   * the addon. */
  fd?: boolean;
}

/** Real grpc-js clients of an endpoint at `target` over `transport`; `close` closes their channels. */
export function openClients(target: string, transport: Transport) {
  const ns = transport.client(NetworkServiceClient, target);
  const monitor = transport.client(MonitorConnectionClient, target);
  const health = transport.client(HealthClient, target);
  const close = () => {
    for (const c of [ns, monitor, health]) c.getChannel().close();
  };
  return { ns, monitor, health, close };
}

/** Turns a bound URL into a grpc-js target. */
export function targetOf(url: string): string {
  return url.startsWith("tcp://") ? url.slice("tcp://".length) : url;
}

export async function startTestNse(o: TestNseOptions = {}): Promise<TestNse> {
  const dir = mkdtempSync(join(tmpdir(), "vl3-nse-"));
  const listen = o.transport === "tcp" ? "tcp://127.0.0.1:0" : `unix://${join(dir, "nse.sock")}`;
  const config = loadConfig({
    NSM_NAME: "nse-test",
    NSM_SERVICE_NAMES: SERVICE,
    NSM_LISTEN_ON: listen,
    NSM_DEBUG_LISTEN_ON: "",
    NSM_PREFIX_POOL: "172.16.0.0/16",
    NSM_PREFIX_LEN: "24",
    ...(o.fd ? { NSM_FD_PASSING: "true" } : {}),
    ...o.env,
  });
  const dataplane = o.dataplane ?? new MemoryDataplane();
  let nse: Vl3Nse;
  try {
    nse = await startNse(config, {
      log: silentLogger(),
      dataplane,
      prefixSource: o.prefixSource,
      transport: o.insecure ? new Transport() : (await testSecurity("nse-test", "vl3")).transport,
    });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const target = targetOf(nse.url);
  const clients = o.insecure ? new Transport() : (await testSecurity("nsc-test")).transport;
  const clientTransport = o.fd ? withFdPassing(clients, true).transport : clients;
  const { ns, monitor, health } = openClients(target, clientTransport);
  let stopped = false;
  return {
    nse,
    config,
    dataplane,
    target,
    ns,
    monitor,
    health,
    clientTransport,
    request: (req, timeoutMs = 10_000) => requestOn(ns, req, timeoutMs),
    close: (conn, timeoutMs = 10_000) => closeOn(ns, conn, timeoutMs),
    stop: async () => {
      for (const c of [ns, monitor, health]) c.getChannel().close();
      if (!stopped) {
        stopped = true;
        await nse.stop();
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const deadline = (ms: number) => ({ deadline: Date.now() + ms });

export function requestOn(
  ns: NetworkServiceClient,
  req: RequestShape,
  timeoutMs = 10_000,
  metadata = new grpc.Metadata(),
): Promise<Connection> {
  return new Promise((resolve, reject) =>
    ns.request(NetworkServiceRequest.fromPartial(req as never), metadata, deadline(timeoutMs), (err, conn) =>
      err ? reject(err) : resolve(conn),
    ),
  );
}

export function closeOn(
  ns: NetworkServiceClient,
  conn: Connection,
  timeoutMs = 10_000,
  metadata = new grpc.Metadata(),
): Promise<void> {
  return new Promise((resolve, reject) =>
    ns.close(conn, metadata, deadline(timeoutMs), (err) => (err ? reject(err) : resolve())),
  );
}

/** An NSC's request as nsmgr would forward it: the NSC's path segment first, our index 0. */
export function nscRequest(
  o: {
    name?: string;
    ipContext?: DeepPartial<IPContext>;
    expires?: Date;
    labels?: Record<string, string>;
  } = {},
): RequestShape {
  const name = o.name ?? `nsc-${randomUUID().slice(0, 8)}`;
  return {
    connection: {
      id: `${name}-conn`,
      networkService: SERVICE,
      labels: o.labels ?? {},
      path: { index: 0, pathSegments: [{ name, id: `${name}-conn`, expires: o.expires }] },
      context: o.ipContext ? { ipContext: o.ipContext } : undefined,
    },
    mechanismPreferences: [{ cls: "LOCAL", type: "KERNEL", parameters: {} }],
  };
}

/** The refresh an NSC sends: the response as it got it, the index back on its own segment. */
export function refreshOf(conn: Connection): RequestShape {
  return { connection: { ...conn, path: { ...conn.path!, index: 0 } } };
}

export interface MonitorStream {
  events: ConnectionEvent[];
  errors: Error[];
  /** The stream's final status code (0 = OK: the server ended it), once it is over. */
  status(): number | undefined;
  /** Waits until `pick` finds an event (bounded); returns it. */
  next(pick: (e: ConnectionEvent) => boolean, what: string, timeoutMs?: number): Promise<ConnectionEvent>;
  cancel(): void;
}

/** A selector by the NSE's own segment name (as nsmgr and vl3lb ask): every connection it serves. */
export function byEndpoint(name = "nse-test"): Partial<MonitorScopeSelector> {
  return { pathSegments: [{ name, id: "", token: "", expires: undefined, metrics: {} }] };
}

export function watch(
  client: MonitorConnectionClient,
  selector: Partial<MonitorScopeSelector> = {},
): MonitorStream {
  const call = client.monitorConnections({ pathSegments: [], networkServices: [], ...selector });
  const events: ConnectionEvent[] = [];
  const errors: Error[] = [];
  call.on("data", (e: ConnectionEvent) => events.push(e));
  call.on("error", (e: Error) => errors.push(e));
  let status: number | undefined;
  call.on("status", (s: grpc.StatusObject) => {
    status = s.code;
  });
  return {
    events,
    errors,
    status: () => status,
    next: async (pick, what, timeoutMs = 5000) => {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const found = events.find(pick);
        if (found) return found;
        if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    cancel: () => call.cancel(),
  };
}

/** Polls `check` until true; fails after `timeoutMs`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The gRPC status code name of an error, for readable expectations. */
export function codeOf(error: unknown): string {
  const code = (error as grpc.ServiceError)?.code;
  return typeof code === "number" ? (grpc.status[code] ?? String(code)) : "none";
}
