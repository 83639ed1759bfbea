// Mesh convergence: N vl3-nse endpoints started at once in the in-process sandbox (in-memory data
// plane) until every one has all N-1 peer links up, against a lower bound measured in the same run:
// N·(N-1)/2 bare Requests through the same sandbox (N dialling clients, each via its nsmgr, to N
// minimal NetworkService servers that answer at once), all in flight together as the mesh's are.
// Run: npm run bench:mesh [-- --n 10,50,100]   (a CPU profile: npx tsx --cpu-prof test/bench/mesh.bench.ts)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { type Connection, State } from "../../src/grpc/gen/networkservice/connection.js";
import {
  NetworkServiceClient,
  type NetworkServiceRequest,
  NetworkServiceService,
} from "../../src/grpc/gen/networkservice/networkservice.js";
import { silentLogger } from "../../src/log.js";
import { registerEndpoint } from "../../src/registry/register.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { bindServer } from "../../src/util/grpc.js";

/** NSM's defaults (1 min registrations, 10 min tokens): refresh traffic is not what is measured. */
const SANDBOX = { nodes: 3, registryExpiryMs: 60_000, lifetimeMs: 600_000 };
const TARGETS_S: Record<number, number> = { 50: 2, 100: 6 };
const LIMIT_MS = 120_000;

function sizes(): number[] {
  const i = process.argv.indexOf("--n");
  const arg = i >= 0 ? process.argv[i + 1] : process.argv.find((a) => a.startsWith("--n="))?.slice(4);
  const list = (arg ?? "10,50,100").split(",").map(Number);
  if (list.some((n) => !Number.isInteger(n) || n < 2 || n > 200))
    throw new Error(`--n: 2..200 each, got ${arg}`);
  return list;
}

const names = (n: number) => Array.from({ length: n }, (_, i) => `nse-${String(i).padStart(3, "0")}`);
const seconds = (since: number) => (performance.now() - since) / 1000;

/** Resolves when every endpoint has all its peers up (from the peer up/down signals, no polling). */
function fullMesh(sb: Sandbox, n: number): { watch(name: string): void; done: Promise<void> } {
  const up = new Map<string, Set<string>>();
  let complete = 0;
  let resolve!: () => void;
  const done = new Promise<void>((r) => {
    resolve = r;
  });
  return {
    done,
    watch: (name) => {
      const peers = new Set<string>();
      up.set(name, peers);
      sb.endpoints.get(name)!.endpoint.onSignal((s) => {
        if (s.type !== "peer") return;
        const before = peers.size === n - 1;
        if (s.up) peers.add(s.name);
        else peers.delete(s.name);
        complete += Number(peers.size === n - 1) - Number(before);
        if (complete === n) resolve();
      });
    },
  };
}

async function meshTime(n: number): Promise<number> {
  const sb = await startSandbox({ ...SANDBOX, log: silentLogger() });
  try {
    const mesh = fullMesh(sb, n);
    const started = performance.now();
    await Promise.all(
      names(n).map(async (name, i) => {
        await sb.startEndpoint(name, { node: i });
        mesh.watch(name);
      }),
    );
    await withLimit(mesh.done, `${n} endpoints did not form a full mesh`);
    const t = seconds(started);
    // The signals said so; the actor trees must agree.
    for (const e of sb.endpoints.values()) {
      const up = e.endpoint.tree().children.filter((c) => c.kind === "peer" && c.state.startsWith("up"));
      if (up.length !== n - 1) throw new Error(`${e.config.name} has ${up.length}/${n - 1} peers up`);
    }
    return t;
  } finally {
    await sb.stop();
  }
}

/** An endpoint that answers every Request at once: no chain, no actors, no data plane. */
async function bareEndpoint(name: string, socket: string): Promise<grpc.Server> {
  const server = new grpc.Server();
  server.addService(NetworkServiceService, {
    request: (
      call: grpc.ServerUnaryCall<NetworkServiceRequest, Connection>,
      cb: grpc.sendUnaryData<Connection>,
    ) => cb(null, { ...call.request.connection!, networkServiceEndpointName: name, state: State.UP }),
    close: (_: unknown, cb: grpc.sendUnaryData<object>) => cb(null, {}),
  } as never);
  await bindServer(server, `unix://${socket}`);
  return server;
}

function linkRequest(from: string, to: string, service: string): NetworkServiceRequest {
  const id = `${from}-${to}`;
  return {
    connection: {
      id,
      networkService: service,
      networkServiceEndpointName: to,
      payload: "IP",
      state: State.UP,
      labels: {},
      context: undefined,
      mechanism: undefined,
      path: {
        index: 0,
        pathSegments: [{ name: from, id, token: "", expires: new Date(Date.now() + 600_000), metrics: {} }],
      },
    },
    mechanismPreferences: [{ cls: "LOCAL", type: "KERNEL", parameters: {} }],
  };
}

async function lowerBound(n: number): Promise<number> {
  const sb = await startSandbox({ ...SANDBOX, log: silentLogger() });
  const dir = mkdtempSync(join(tmpdir(), "vl3-bench-"));
  const servers: grpc.Server[] = [];
  const clients: NetworkServiceClient[] = [];
  const all = names(n);
  const registrations = [];
  try {
    for (const name of all) {
      const socket = join(dir, `${name}.sock`);
      servers.push(await bareEndpoint(name, socket));
      const nse = { name, serviceNames: [sb.service], labels: {}, url: `unix://${socket}` };
      registrations.push(
        registerEndpoint({ target: sb.registry.url, nse, expiryMs: 60_000, log: silentLogger() }),
      );
    }
    await Promise.all(registrations.map((r) => r.whenRegistered()));
    // One channel per dialler, to its own nsmgr, as each vl3-nse has.
    for (let i = 0; i < n; i++) {
      clients.push(
        new NetworkServiceClient(sb.nsmgrs[i % sb.nsmgrs.length]!.url, grpc.credentials.createInsecure()),
      );
    }
    const started = performance.now();
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const req = linkRequest(all[i]!, all[j]!, sb.service);
        calls.push(
          new Promise((resolve, reject) =>
            clients[i]!.request(req, new grpc.Metadata(), { deadline: Date.now() + LIMIT_MS }, (err, res) =>
              err ? reject(err) : resolve(res),
            ),
          ),
        );
      }
    }
    await withLimit(Promise.all(calls), "the bare requests did not finish");
    return seconds(started);
  } finally {
    for (const c of clients) c.getChannel().close();
    await Promise.all(registrations.map((r) => r.stop({ unregister: false })));
    for (const s of servers) s.forceShutdown();
    await sb.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function withLimit<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${LIMIT_MS / 1000} s`)), LIMIT_MS);
  });
  try {
    return await Promise.race([p, limit]);
  } finally {
    clearTimeout(timer);
  }
}

async function main(): Promise<number> {
  console.log(
    `mesh convergence, in-process sandbox: ${SANDBOX.nodes} nsmgrs, in-memory data plane, ` +
      `registrations ${SANDBOX.registryExpiryMs / 1000} s, tokens ${SANDBOX.lifetimeMs / 1000} s`,
  );
  console.log("   N  links   mesh (s)  bound (s)  ratio  target");
  let missed = 0;
  for (const n of sizes()) {
    const bound = await lowerBound(n);
    const mesh = await meshTime(n);
    const target = TARGETS_S[n];
    const verdict = target === undefined ? "-" : mesh < target ? `< ${target} s ok` : `< ${target} s MISSED`;
    if (target !== undefined && mesh >= target) missed++;
    const links = (n * (n - 1)) / 2;
    console.log(
      `${String(n).padStart(4)} ${String(links).padStart(6)} ${mesh.toFixed(2).padStart(10)} ` +
        `${bound.toFixed(2).padStart(10)} ${(mesh / bound).toFixed(1).padStart(6)}  ${verdict}`,
    );
  }
  return missed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(2);
  },
);
