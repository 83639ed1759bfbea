// The servers of bench:request and bench:memory, each run by plain Node in a forked child process from
// the compiled dist/ (what the image runs), so neither pays for on-the-fly TypeScript transforms.
//   [SPIFFE_ENDPOINT_SOCKET=<workload api>] node test/bench/request-servers.mjs echo|nse <socket> [prefix length]
// With SPIFFE_ENDPOINT_SOCKET both serve SPIFFE mTLS with that SVID and do the path-token work;
// without it both are plain text (bench:memory).
// Each sends {ready: target, debug?: url} when serving, answers {cpu: true} with its CPU time and
// event-loop times, {memory: true} with its heap and RSS after a full GC (with --expose-gc),
// {heapSnapshot: file} by writing one there, and exits on {stop: true}.
import { writeHeapSnapshot } from "node:v8";
import * as grpc from "@grpc/grpc-js";

const dist = (path) => import(new URL(`../../dist/src/${path}`, import.meta.url).href);

/** The echo's method: a Connection (an NSC's, with its path) encoded both ways. */
export async function echoMethod() {
  const { Connection } = await dist("grpc/gen/networkservice/connection.js");
  const codec = {
    serialize: (m) => Buffer.from(Connection.encode(m).finish()),
    deserialize: (b) => Connection.decode(b),
  };
  return {
    path: "/bench.Echo/Echo",
    requestStream: false,
    responseStream: false,
    requestSerialize: codec.serialize,
    requestDeserialize: codec.deserialize,
    responseSerialize: codec.serialize,
    responseDeserialize: codec.deserialize,
  };
}

/** The settings both servers share; security from SPIFFE_ENDPOINT_SOCKET if the parent gave one. */
async function settings(socket, prefixLen = "20") {
  const { loadConfig } = await dist("config/config.js");
  const workloadApi = process.env.SPIFFE_ENDPOINT_SOCKET;
  return loadConfig({
    NSM_NAME: "nse-bench",
    NSM_SERVICE_NAMES: "vl3-test",
    NSM_LISTEN_ON: `unix://${socket}`,
    // The debug server (and so the metrics each call updates) on, as by default; any free port.
    NSM_DEBUG_LISTEN_ON: "tcp://127.0.0.1:0",
    NSM_PREFIX_POOL: "172.16.0.0/16",
    NSM_PREFIX_LEN: prefixLen,
    // Secure (mTLS and path tokens) when the parent handed us a Workload API; else plain text on both.
    ...(workloadApi ? { SPIFFE_ENDPOINT_SOCKET: workloadApi } : { NSM_INSECURE: "true" }),
  });
}

/**
 * The echo: the same transport as the NSE (transportSecurity, so the same mTLS credentials), and,
 * secured, per call the token work no server can skip: the caller's token into its segment and ours
 * signed (updateToken), then the path checked by the server policies (authorizeConnection), with the
 * same verifier cache and keys the NSE builds (pathSecurity).
 */
async function serveEcho(socket) {
  const config = await settings(socket);
  const { silentLogger } = await dist("log.js");
  const { transportSecurity } = await dist("security/setup.js");
  const { pathSecurity } = await dist("security/path-security.js");
  const { callerContext } = await dist("grpc/caller.js");
  const { updateToken } = await dist("chain/updatetoken.js");
  const { authorizeConnection } = await dist("chain/authorize.js");
  const { PathSegment } = await dist("grpc/gen/networkservice/connection.js");
  const secured = transportSecurity(config, silentLogger());
  await secured.identity?.ready();
  const security = pathSecurity({
    identity: secured.identity,
    maxTokenLifetimeMs: config.maxTokenLifetimeMs,
  });
  const tokens = security && { generate: security.generate, maxTokenLifetimeMs: config.maxTokenLifetimeMs };
  const checks = security && { verifier: security.verifier, keys: security.keys };
  const echo = async (call) => {
    if (!security) return call.request;
    const conn = call.request;
    const ctx = callerContext(call);
    const segments = [
      ...(conn.path?.pathSegments ?? []),
      PathSegment.fromPartial({ name: "echo-bench", id: conn.id }),
    ];
    const path = { index: segments.length - 1, pathSegments: segments };
    const stamped = await updateToken({ ...conn, path }, ctx, tokens);
    await authorizeConnection(stamped, ctx, checks);
    return stamped;
  };
  const server = secured.transport.server();
  server.addService(
    { Echo: await echoMethod() },
    {
      Echo: (call, cb) =>
        echo(call).then(
          (r) => cb(null, r),
          (e) => cb({ code: grpc.status[e.code] ?? grpc.status.INTERNAL, details: e.message }),
        ),
    },
  );
  await secured.transport.bind(server, config.listenOn[0]);
  return {
    target: `unix://${socket}`,
    stop: async () => {
      server.forceShutdown();
      security?.dispose();
      secured.close();
    },
  };
}

async function serveNse(socket, prefixLen = "20") {
  const { MemoryDataplane } = await dist("dataplane/memory.js");
  const { silentLogger } = await dist("log.js");
  const { startNse } = await dist("nse.js");
  const config = await settings(socket, prefixLen);
  const nse = await startNse(config, { log: silentLogger(), dataplane: new MemoryDataplane() });
  return { target: nse.url, debug: nse.debugUrl, stop: () => nse.stop() };
}

const [role, socket, prefixLen] = process.argv.slice(2);
if (role === "echo" || role === "nse") {
  const server = await (role === "echo" ? serveEcho(socket) : serveNse(socket, prefixLen));
  process.on("message", (m) => {
    if (m.cpu) {
      const u = process.cpuUsage();
      // How busy the event loop was (cumulative): the parent tells a round's share from two samples.
      const { active, idle } = performance.eventLoopUtilization();
      process.send({ cpuMicros: u.user + u.system, loopActive: active, loopIdle: idle });
    }
    if (m.memory) {
      // Twice: what the first collection frees can leave more to free (weak maps, finalizers).
      globalThis.gc?.();
      globalThis.gc?.();
      const { heapUsed, rss } = process.memoryUsage();
      process.send({ heapUsed, rss, collected: typeof globalThis.gc === "function" });
    }
    if (m.heapSnapshot) process.send({ heapSnapshotWritten: writeHeapSnapshot(m.heapSnapshot) });
    if (m.stop) void server.stop().then(() => process.exit(0));
  });
  // The parent gone (killed, crashed): nothing would ever stop this server otherwise.
  process.on("disconnect", () => process.exit(0));
  process.send({ ready: server.target, debug: server.debug });
}
