// Server CPU per Request+Close pair through the whole endpoint (startNse: element chain, endpoint and
// connection actors, IPAM, data-plane queue with the in-memory back end, metrics on) against a bare
// grpc-js echo server doing the same irreducible work: two unary calls per operation, as a pair is
// two RPCs. Both secured as in a cluster: SPIFFE mTLS with SVIDs of the sandbox trust domain (each
// server's from the Workload API, built by transportSecurity), and per call the client's freshly signed
// path token, which each server verifies with the server policies and answers with one token of its
// own (the echo by the same updateToken and authorizeConnection the NSE's chain runs). Same transport
// (unix sockets), same load generator (this process, one SVID), same layout (each server in a forked
// child), the same warm-up, then rounds at a fixed load, interleaved, the first side alternating. The
// load generator shares the cores, so the primary figure is each server's own CPU time per operation,
// and the headline is the median over the rounds of echo CPU / endpoint CPU, with the spread;
// throughput and p50/p99 latency are printed beside.
// Run: npm run bench:request   (BENCH_LOAD: operations in flight, 64; BENCH_ROUNDS: >= 5, 7;
// BENCH_PAIRS: operations per round and side, 3000; BENCH_WARMUP: operations of warm-up each, 16000;
// BENCH_CPU_PROF=<dir> writes a CPU profile of the NSE child there). Bad values stop it, naming the variable.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { Connection } from "../../src/grpc/gen/networkservice/connection.js";
import { NetworkServiceClient } from "../../src/grpc/gen/networkservice/networkservice.js";
import type { ClientConstructor, Transport } from "../../src/grpc/transport.js";
import { silentLogger } from "../../src/log.js";
import { SandboxTrustDomain } from "../../src/sandbox/trust-domain.js";
import { pathSecurity } from "../../src/security/path-security.js";
import { closeOn, nscRequest, requestOn } from "../support/endpoint.js";
import {
  median,
  quantile,
  rate,
  round,
  type Server,
  type Subject,
  serverCpuPerOp,
  setting,
  spread,
  startServer,
  type Tally,
} from "./request-rounds.js";
import { echoMethod } from "./request-servers.mjs";

const LOAD = setting("BENCH_LOAD", 64, 1024);
const ROUNDS = Math.max(5, setting("BENCH_ROUNDS", 7, 40));
const PER_ROUND = setting("BENCH_PAIRS", 3_000, 200_000);
/** Operations of warm-up for each side: the endpoint's CPU per RPC keeps falling for ~30,000 RPCs. */
const WARMUP = setting("BENCH_WARMUP", 16_000, 400_000);
const TARGET = 0.6;
/** The whole run is bounded: a minute, plus four times what it takes at 1,000 operations a second each. */
const LIMIT_MS = 60_000 + 4 * 2 * (WARMUP + ROUNDS * PER_ROUND);

type EchoClient = grpc.Client & {
  Echo(
    m: Connection,
    md: grpc.Metadata,
    o: grpc.CallOptions,
    cb: (e: grpc.ServiceError | null, r: Connection) => void,
  ): void;
};

/** Two echo calls per operation, each with a new NSC's connection (its path), as the pairs send. */
async function echoSubject(server: Server, clients: Transport): Promise<Subject> {
  const Client = grpc.makeGenericClientConstructor(
    { Echo: await echoMethod() } as grpc.ServiceDefinition,
    "Echo",
  ) as unknown as ClientConstructor<EchoClient>;
  const client = clients.client(Client, server.target);
  let sent = 0;
  const call = (conn: Connection) =>
    new Promise<void>((resolve, reject) =>
      // With a deadline, as every NSM call (and each call of the pairs) has one: both sides pay for it.
      client.Echo(conn, new grpc.Metadata(), { deadline: Date.now() + 10_000 }, (e) =>
        e ? reject(e) : resolve(),
      ),
    );
  // Two calls one after the other, as a Request and then its Close.
  const op = async () => {
    const conn = Connection.fromPartial(nscRequest({ name: `nsc-${sent++}` }).connection ?? {});
    await call(conn);
    await call(conn);
  };
  return { name: "echo", server: server.child, rpcs: 2, op, close: () => client.close() };
}

/** Request+Close pairs as NSCs behind an nsmgr send them (a path segment, kernel mechanism), each NSC new. */
function pairSubject(server: Server, clients: Transport): Subject & { readonly sent: number } {
  const client = clients.client(NetworkServiceClient, server.target);
  let sent = 0;
  const op = async () => {
    const conn = await requestOn(client, nscRequest({ name: `nsc-${sent++}` }));
    await closeOn(client, conn);
  };
  return {
    name: "vl3-nse",
    server: server.child,
    rpcs: 2,
    op,
    close: () => client.getChannel().close(),
    get sent() {
      return sent;
    },
  };
}

/** Every Request the NSE's /metrics counted (the metrics are live during the bench, as by default). */
async function countedRequests(debugUrl: string): Promise<number> {
  const metrics = await fetch(`${debugUrl}/metrics`).then((r) => r.text());
  return [...metrics.matchAll(/^vl3_requests_total\{[^}]*\} (\d+)/gm)].reduce(
    (sum, m) => sum + Number(m[1]),
    0,
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "vl3-bench-"));
  const servers: Server[] = [];
  const subjects: Subject[] = [];
  let trust: SandboxTrustDomain | undefined;
  const limit = setTimeout(() => {
    console.error(`bench:request did not finish in ${(LIMIT_MS / 1000).toFixed(0)} s`);
    for (const s of servers) s.child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    process.exit(1);
  }, LIMIT_MS);
  try {
    // The sandbox's development trust domain: a Workload API socket per server, an SVID for the client.
    trust = await SandboxTrustDomain.start(dir, silentLogger());
    const echo = await startServer(
      "echo",
      join(dir, "echo.sock"),
      [],
      [],
      await trust.socket("echo-bench", "vl3"),
    );
    servers.push(echo);
    // BENCH_CPU_PROF=<dir> profiles the NSE child (node --cpu-prof), to find its hot spots.
    const prof = process.env.BENCH_CPU_PROF
      ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
      : [];
    const nse = await startServer(
      "nse",
      join(dir, "nse.sock"),
      prof,
      [],
      await trust.socket("nse-bench", "vl3"),
    );
    servers.push(nse);
    // The load generator is one NSC with its own SVID, signing a path token for every call as NSCs do.
    const nsc = await trust.security("nsc-bench", "default");
    const tokens = pathSecurity({ identity: nsc.identity, maxTokenLifetimeMs: 600_000 })!;
    const clients = nsc.transport.withPathTokens(tokens.generate);
    const e = await echoSubject(echo, clients);
    const p = pairSubject(nse, clients);
    subjects.push(e, p);
    console.log(
      `bench:request: unix sockets, each server in a forked child process, SPIFFE mTLS and path tokens on both sides` +
        ` (each call: the client's token verified by the server policies, one token signed);` +
        ` a warm-up of ${WARMUP} operations each, then ${ROUNDS} rounds of ${PER_ROUND} operations each side` +
        ` at ${LOAD} in flight, the first side alternating. An operation is two RPCs: Request+Close, or two echo calls.`,
    );
    // Not counted: V8 keeps speeding both up for the first tens of thousands of calls.
    await round(e, WARMUP, LOAD);
    await round(p, WARMUP, LOAD);
    const rounds: { echo: Tally; nse: Tally }[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const got: Partial<{ echo: Tally; nse: Tally }> = {};
      for (const side of i % 2 === 0 ? (["echo", "nse"] as const) : (["nse", "echo"] as const)) {
        got[side] = await round(side === "nse" ? p : e, PER_ROUND, LOAD);
      }
      const r = got as { echo: Tally; nse: Tally };
      rounds.push(r);
      console.log(
        `  round ${i + 1} (${i % 2 === 0 ? "echo" : "vl3-nse"} first): server CPU per operation echo ${serverCpuPerOp(r.echo).toFixed(0)} us,` +
          ` vl3-nse ${serverCpuPerOp(r.nse).toFixed(0)} us; ratio ${(serverCpuPerOp(r.echo) / serverCpuPerOp(r.nse)).toFixed(2)}`,
      );
    }
    const ratios = rounds.map((r) => serverCpuPerOp(r.echo) / serverCpuPerOp(r.nse));
    for (const side of ["echo", "nse"] as const) {
      const all = rounds.flatMap((r) => r[side].latencies);
      const name = side === "echo" ? "echo (2 calls)     " : "vl3-nse Request+Close";
      console.log(
        `${name}: server CPU ${spread(
          rounds.map((r) => serverCpuPerOp(r[side])),
          0,
        )} us/op,` +
          ` client CPU ${median(rounds.map((r) => r[side].clientCpu / r[side].ops)).toFixed(0)} us/op,` +
          ` ${spread(
            rounds.map((r) => rate(r[side])),
            0,
          )} ops/s,` +
          ` latency p50 ${quantile(all, 0.5).toFixed(1)} ms p99 ${quantile(all, 0.99).toFixed(1)} ms,` +
          ` server loop busy ${(median(rounds.map((r) => r[side].loopActive / (r[side].loopActive + r[side].loopIdle))) * 100).toFixed(0)}%`,
      );
    }
    console.log(
      `echo/vl3-nse server CPU per operation, median (min-max) over ${ROUNDS} rounds: ${spread(ratios, 2)}`,
    );
    const counted = await countedRequests(nse.debug!);
    const sent = p.sent;
    console.log(`NSE /metrics counted ${counted} Requests (${sent} sent)`);
    // The metrics must have seen every Request; a target not met is reported, not an error.
    if (counted !== sent) throw new Error(`/metrics counted ${counted} Requests, ${sent} were sent`);
    nse.child.send({ stop: true });
    await new Promise((r) => nse.child.once("exit", r));
    const ratio = median(ratios);
    console.log(
      `result: echo/vl3-nse server CPU per Request+Close pair at ${LOAD} in flight = ${ratio.toFixed(2)} ratio (target >= ${TARGET}) ${ratio >= TARGET ? "met" : "NOT met"}`,
    );
  } finally {
    for (const s of subjects) s.close();
    for (const s of servers) if (s.child.exitCode === null) s.child.kill();
    await trust?.stop();
    clearTimeout(limit);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
