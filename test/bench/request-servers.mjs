// The servers of bench:request and bench:memory, each run by plain Node in a forked child process from
// the compiled dist/ (what the image runs), so neither pays for on-the-fly TypeScript transforms.
//   node test/bench/request-servers.mjs echo|nse <socket> [prefix length]
// Each sends {ready: target, debug?: url} when serving, answers {cpu: true} with its CPU time and
// event-loop times, {memory: true} with its heap and RSS after a full GC (with --expose-gc),
// {heapSnapshot: file} by writing one there, and exits on {stop: true}.
import { writeHeapSnapshot } from "node:v8";
import * as grpc from "@grpc/grpc-js";

const dist = (path) => import(new URL(`../../dist/src/${path}`, import.meta.url).href);

/** The echo's method: a small message (short strings and one map entry) encoded both ways. */
export async function echoMethod() {
  const { Mechanism } = await dist("grpc/gen/networkservice/connection.js");
  const codec = {
    serialize: (m) => Buffer.from(Mechanism.encode(m).finish()),
    deserialize: (b) => Mechanism.decode(b),
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

async function serveEcho(socket) {
  const server = new grpc.Server();
  server.addService({ Echo: await echoMethod() }, { Echo: (call, cb) => cb(null, call.request) });
  await new Promise((resolve, reject) =>
    server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (e) =>
      e ? reject(e) : resolve(),
    ),
  );
  return { target: `unix://${socket}`, stop: async () => server.forceShutdown() };
}

async function serveNse(socket, prefixLen = "20") {
  const { loadConfig } = await dist("config/config.js");
  const { MemoryDataplane } = await dist("dataplane/memory.js");
  const { silentLogger } = await dist("log.js");
  const { startNse } = await dist("nse.js");
  const config = loadConfig({
    NSM_NAME: "nse-bench",
    NSM_SERVICE_NAMES: "vl3-test",
    NSM_LISTEN_ON: `unix://${socket}`,
    // The debug server (and so the metrics each call updates) on, as by default; any free port.
    NSM_DEBUG_LISTEN_ON: "tcp://127.0.0.1:0",
    NSM_PREFIX_POOL: "172.16.0.0/16",
    NSM_PREFIX_LEN: prefixLen,
    // Plain text, as the baseline echo server: both sides do the same transport work. (Security on
    // both sides, mTLS plus the per-call token work, is the security benchmark's to add.)
    NSM_INSECURE: "true",
  });
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
