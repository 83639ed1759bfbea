// Request+Close pairs through the whole endpoint (startNse: element chain, endpoint and connection
// actors, IPAM, data-plane queue with the in-memory back end) against a bare grpc-js unary echo
// server, measured in the same run, over the same kind of socket (unix). Each server runs in a
// forked child process of its own, so client and server do not share a JS thread. A pair is two
// RPCs: the comparison is pairs/s x 2 against echo calls/s. Both are warmed up with as many RPCs.
// The two are measured in alternating rounds, so that both meet the machine's load as it varies, at
// each of several loads (calls in flight). A server's rate is the best it reached over those loads: a
// server whose calls take longer needs more of them in flight to be kept busy, and the echo's rate is
// set by its client at any load. Every load's figures are printed too.
// Run: npm run bench:request   (BENCH_PAIRS, BENCH_ECHO, BENCH_ROUNDS, BENCH_WARMUP: sizes per load;
// BENCH_CONCURRENCY: the loads, e.g. "64,128,256"; BENCH_CPU_PROF=<dir> writes a CPU profile of the NSE child there)
import { type ChildProcess, fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import type { Mechanism } from "../../src/grpc/gen/networkservice/connection.js";
import { NetworkServiceClient } from "../../src/grpc/gen/networkservice/networkservice.js";
import { closeOn, nscRequest, requestOn } from "../support/endpoint.js";
import { echoMethod } from "./request-servers.mjs";

const int = (name: string, fallback: number, max: number) =>
  Math.min(Math.max(Number(process.env[name] ?? fallback) || fallback, 1), max);
const PAIRS = int("BENCH_PAIRS", 10_000, 200_000);
const ECHO = int("BENCH_ECHO", 20_000, 400_000);
/** Calls in flight, one measurement per load. */
const LOADS = (process.env.BENCH_CONCURRENCY ?? "64,128,256")
  .split(",")
  .map((n) => Math.min(Math.max(Number(n) || 64, 1), 1024));
const ROUNDS = int("BENCH_ROUNDS", 4, 20);
/** RPCs in the warm-up of each (echo calls, and half as many pairs): V8 keeps speeding both up for ~20,000 calls. */
const WARMUP = int("BENCH_WARMUP", 24_000, 400_000);
const WARMUP_PAIRS = Math.ceil(WARMUP / 2);
const TARGET = 0.6;
/** The whole run is bounded: children are killed and the bench fails after this. */
const LIMIT_MS = 300_000;

const ECHO_MESSAGE: Mechanism = {
  cls: "LOCAL",
  type: "KERNEL-0123456789abcdefghijklmnop",
  parameters: { name: "nsc-x" },
};

// ---- parent -----------------------------------------------------------------------------------

interface Server {
  child: ChildProcess;
  target: string;
  /** The NSE's debug server (its /metrics), which runs during the bench as it does by default. */
  debug?: string;
}

function start(role: "echo" | "nse", socket: string): Promise<Server> {
  // BENCH_CPU_PROF=<dir> profiles the NSE child (node --cpu-prof), to find its hot spots.
  const prof =
    role === "nse" && process.env.BENCH_CPU_PROF
      ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
      : [];
  const child = fork(fileURLToPath(new URL("./request-servers.mjs", import.meta.url)), [role, socket], {
    execArgv: prof,
  });
  return new Promise((resolve, reject) => {
    child.once("message", (m: { ready: string; debug?: string }) =>
      resolve({ child, target: m.ready, debug: m.debug }),
    );
    child.once("exit", (code) => reject(new Error(`${role} server exited (${code}) before it was ready`)));
  });
}

function cpuOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const on = (m: { cpuMicros?: number }) => {
      if (m.cpuMicros === undefined) return;
      child.off("message", on);
      resolve(m.cpuMicros);
    };
    child.on("message", on);
    child.send({ cpu: true });
  });
}

/** Runs `count` operations, `inFlight` at a time; resolves with the elapsed seconds. */
async function drive(count: number, inFlight: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (next < count) await op(next++);
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, worker));
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** One side of the comparison: a server, an operation of `rpcs` RPCs on it, and its client to close. */
interface Subject {
  server: ChildProcess;
  rpcs: number;
  op(i: number): Promise<unknown>;
  close(): void;
}

/** What a round or the whole run measured of one subject. */
interface Tally {
  ops: number;
  seconds: number;
  /** CPU time (user + system) of the server process and of this process, the client, in microseconds. */
  serverCpu: number;
  clientCpu: number;
}

const empty = (): Tally => ({ ops: 0, seconds: 0, serverCpu: 0, clientCpu: 0 });
const add = (a: Tally, b: Tally): Tally => ({
  ops: a.ops + b.ops,
  seconds: a.seconds + b.seconds,
  serverCpu: a.serverCpu + b.serverCpu,
  clientCpu: a.clientCpu + b.clientCpu,
});
const rate = (t: Tally) => t.ops / t.seconds;
const perRpc = (t: Tally, rpcs: number, micros: number) => micros / (t.ops * rpcs);
/** CPU per RPC of the server and of the client (this process). */
const cpu = (t: Tally, rpcs: number) =>
  `CPU/RPC ${perRpc(t, rpcs, t.serverCpu).toFixed(0)} us server, ${perRpc(t, rpcs, t.clientCpu).toFixed(0)} us client`;

/** Times `count` operations of `subject` (numbered from `first`), `inFlight` at a time, and the CPU both processes spent. */
async function round(subject: Subject, count: number, inFlight: number, first: number): Promise<Tally> {
  const cpu = await cpuOf(subject.server);
  const mine = process.cpuUsage();
  const seconds = await drive(count, inFlight, (i) => subject.op(first + i));
  const serverCpu = (await cpuOf(subject.server)) - cpu;
  const client = process.cpuUsage(mine);
  return { ops: count, seconds, serverCpu, clientCpu: client.user + client.system };
}

async function echoSubject(server: ChildProcess, target: string): Promise<Subject> {
  const Client = grpc.makeGenericClientConstructor(
    { Echo: await echoMethod() } as grpc.ServiceDefinition,
    "Echo",
  );
  const client = new Client(target, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    Echo(
      m: Mechanism,
      md: grpc.Metadata,
      o: grpc.CallOptions,
      cb: (e: grpc.ServiceError | null, r: Mechanism) => void,
    ): void;
  };
  const op = () =>
    new Promise<void>((resolve, reject) =>
      // With a deadline, as every NSM call (and each call of the pairs) has one: both sides pay for it.
      client.Echo(ECHO_MESSAGE, new grpc.Metadata(), { deadline: Date.now() + 10_000 }, (e) =>
        e ? reject(e) : resolve(),
      ),
    );
  return { server, rpcs: 1, op, close: () => client.close() };
}

/** Request+Close pairs as NSCs behind an nsmgr send them (a path segment, kernel mechanism). */
function pairSubject(server: ChildProcess, target: string): Subject {
  const client = new NetworkServiceClient(target, grpc.credentials.createInsecure());
  const op = async (i: number) => {
    const conn = await requestOn(client, nscRequest({ name: `nsc-${i}` }));
    await closeOn(client, conn);
  };
  return { server, rpcs: 2, op, close: () => client.getChannel().close() };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "vl3-bench-"));
  const children: ChildProcess[] = [];
  const limit = setTimeout(() => {
    console.error(`bench:request did not finish in ${LIMIT_MS / 1000} s`);
    for (const c of children) c.kill("SIGKILL");
    process.exit(1);
  }, LIMIT_MS);
  try {
    const echo = await start("echo", join(dir, "echo.sock"));
    children.push(echo.child);
    const nse = await start("nse", join(dir, "nse.sock"));
    children.push(nse.child);
    console.log(
      `bench:request: unix sockets, each server in a forked child process; a warm-up round (${WARMUP} echo calls,` +
        ` ${WARMUP_PAIRS} pairs), then at each load (${LOADS.join(", ")} calls in flight) ${ROUNDS} measured rounds of each, alternating`,
    );
    const subjects = {
      echo: await echoSubject(echo.child, echo.target),
      nse: pairSubject(nse.child, nse.target),
    };
    const perRound = { echo: Math.ceil(ECHO / ROUNDS), nse: Math.ceil(PAIRS / ROUNDS) };
    // Not counted: V8 keeps speeding grpc-js up for the first ~20,000 calls.
    await round(subjects.echo, WARMUP, LOADS[0]!, 0);
    let sent = (await round(subjects.nse, WARMUP_PAIRS, LOADS[0]!, 0)).ops;
    const measured: Array<{ load: number; echo: Tally; nse: Tally }> = [];
    for (const load of LOADS) {
      let e = empty();
      let p = empty();
      // Rounds alternate, so that both meet the machine's load as it varies.
      for (let r = 0; r < ROUNDS; r++) {
        e = add(e, await round(subjects.echo, perRound.echo, load, 0));
        const pr = await round(subjects.nse, perRound.nse, load, sent);
        sent += pr.ops;
        p = add(p, pr);
      }
      measured.push({ load, echo: e, nse: p });
      console.log(
        `  ${String(load).padStart(4)} in flight: echo ${rate(e).toFixed(0)} calls/s (${cpu(e, 1)});` +
          ` vl3-nse ${rate(p).toFixed(0)} pairs/s = ${(rate(p) * 2).toFixed(0)} RPC/s (${cpu(p, 2)});` +
          ` ratio ${((rate(p) * 2) / rate(e)).toFixed(2)}`,
      );
    }
    subjects.echo.close();
    subjects.nse.close();
    const best = (pick: (m: (typeof measured)[number]) => Tally) =>
      measured.reduce((a, b) => (rate(pick(b)) > rate(pick(a)) ? b : a));
    const bestEcho = best((m) => m.echo);
    const bestNse = best((m) => m.nse);
    console.log(
      `bare grpc-js unary echo:     best ${rate(bestEcho.echo).toFixed(0)} calls/s (${bestEcho.load} in flight)`,
    );
    console.log(
      `vl3-nse Request+Close pairs: best ${rate(bestNse.nse).toFixed(0)} pairs/s = ${(rate(bestNse.nse) * 2).toFixed(0)} RPC/s` +
        ` (${bestNse.load} in flight; a pair is 2 RPCs)`,
    );
    // The metrics were live: every Request of the run (warm-up included) was counted.
    const metrics = await fetch(`${nse.debug}/metrics`).then((r) => r.text());
    const counted = [...metrics.matchAll(/^vl3_requests_total\{[^}]*\} (\d+)/gm)].reduce(
      (sum, m) => sum + Number(m[1]),
      0,
    );
    console.log(`NSE /metrics counted ${counted} Requests (${sent} sent)`);
    const ratio = (rate(bestNse.nse) * 2) / rate(bestEcho.echo);
    console.log(
      `ratio of the best rates (pairs/s x 2) / (echo calls/s) = ${ratio.toFixed(2)}; target >= ${TARGET} -> ${ratio >= TARGET ? "met" : "NOT met"}`,
    );
    nse.child.send({ stop: true });
    await new Promise((r) => nse.child.once("exit", r));
  } finally {
    clearTimeout(limit);
    for (const c of children) if (c.exitCode === null) c.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
