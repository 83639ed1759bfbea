// Request+Close pairs through the whole endpoint (startNse: element chain, endpoint and connection
// actors, IPAM, data-plane queue with the in-memory back end) against a bare grpc-js unary echo
// server, measured in the same run, over the same kind of socket (unix). Each server runs in a
// forked child process of its own, so client and server do not share a JS thread. A pair is two
// RPCs: the comparison is pairs/s x 2 against echo calls/s.
// Run: npm run bench:request   (BENCH_PAIRS, BENCH_ECHO, BENCH_CONCURRENCY to change the sizes;
// BENCH_CPU_PROF=<dir> writes a CPU profile of the NSE child there)
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
const CONCURRENCY = int("BENCH_CONCURRENCY", 64, 1024);
const WARMUP = 500;
const TARGET = 0.6;
/** The whole run is bounded: children are killed and the bench fails after this. */
const LIMIT_MS = 300_000;

const ECHO_MESSAGE: Mechanism = {
  cls: "LOCAL",
  type: "KERNEL-0123456789abcdefghijklmnop",
  parameters: { name: "nsc-x" },
};

// ---- parent -----------------------------------------------------------------------------------

function start(role: "echo" | "nse", socket: string): Promise<{ child: ChildProcess; target: string }> {
  // BENCH_CPU_PROF=<dir> profiles the NSE child (node --cpu-prof), to find its hot spots.
  const prof =
    role === "nse" && process.env.BENCH_CPU_PROF
      ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
      : [];
  const child = fork(fileURLToPath(new URL("./request-servers.mjs", import.meta.url)), [role, socket], {
    execArgv: prof,
  });
  return new Promise((resolve, reject) => {
    child.once("message", (m: { ready: string }) => resolve({ child, target: m.ready }));
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

/** Runs `count` operations, `CONCURRENCY` at a time; resolves with the elapsed seconds. */
async function drive(count: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (next < count) await op(next++);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, worker));
  return Number(process.hrtime.bigint() - started) / 1e9;
}

interface Measured {
  /** Operations per second (echo calls, or Request+Close pairs). */
  rate: number;
  /** CPU time the server process spent per RPC (user + system), in microseconds. */
  cpuPerRpc: number;
  /** The same for this process, the client. */
  clientCpuPerRpc: number;
}

/** Warms up, then times `count` operations of `rpcs` RPCs each, and the server's CPU time meanwhile. */
async function measure(
  server: ChildProcess,
  count: number,
  rpcs: number,
  op: (i: number) => Promise<unknown>,
) {
  await drive(WARMUP / rpcs, op);
  const cpu = await cpuOf(server);
  const mine = process.cpuUsage();
  const seconds = await drive(count, (i) => op(WARMUP + i));
  const used = (await cpuOf(server)) - cpu;
  const client = process.cpuUsage(mine);
  const perRpc = (micros: number) => micros / (count * rpcs);
  return {
    rate: count / seconds,
    cpuPerRpc: perRpc(used),
    clientCpuPerRpc: perRpc(client.user + client.system),
  } satisfies Measured;
}

async function measureEcho(server: ChildProcess, target: string): Promise<Measured> {
  const Client = grpc.makeGenericClientConstructor(
    { Echo: await echoMethod() } as grpc.ServiceDefinition,
    "Echo",
  );
  const client = new Client(target, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    Echo(m: Mechanism, cb: (e: grpc.ServiceError | null, r: Mechanism) => void): void;
  };
  const echo = () =>
    new Promise<void>((resolve, reject) => client.Echo(ECHO_MESSAGE, (e) => (e ? reject(e) : resolve())));
  const m = await measure(server, ECHO, 1, echo);
  client.close();
  return m;
}

/** Request+Close pairs as NSCs behind an nsmgr send them (a path segment, kernel mechanism). */
async function measurePairs(server: ChildProcess, target: string): Promise<Measured> {
  const client = new NetworkServiceClient(target, grpc.credentials.createInsecure());
  const m = await measure(server, PAIRS, 2, async (i) => {
    const conn = await requestOn(client, nscRequest({ name: `nsc-${i}` }));
    await closeOn(client, conn);
  });
  client.getChannel().close();
  return m;
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
      `bench:request: ${CONCURRENCY} in flight, unix sockets, each server in a forked child process;` +
        ` ${WARMUP} warm-up RPCs each`,
    );
    const e = await measureEcho(echo.child, echo.target);
    console.log(
      `bare grpc-js unary echo:     ${ECHO} calls in ${(ECHO / e.rate).toFixed(2)} s = ${e.rate.toFixed(0)} calls/s;` +
        ` CPU ${e.cpuPerRpc.toFixed(0)} us/RPC in the server, ${e.clientCpuPerRpc.toFixed(0)} in the client`,
    );
    const p = await measurePairs(nse.child, nse.target);
    console.log(
      `vl3-nse Request+Close pairs: ${PAIRS} pairs in ${(PAIRS / p.rate).toFixed(2)} s = ${p.rate.toFixed(0)} pairs/s` +
        ` = ${(p.rate * 2).toFixed(0)} RPC/s (a pair is 2 RPCs); CPU ${p.cpuPerRpc.toFixed(0)} us/RPC in the server, ${p.clientCpuPerRpc.toFixed(0)} in the client`,
    );
    const ratio = (p.rate * 2) / e.rate;
    console.log(
      `ratio (pairs/s x 2) / (echo calls/s) = ${ratio.toFixed(2)}; target >= ${TARGET} -> ${ratio >= TARGET ? "met" : "NOT met"}` +
        ` (server CPU per RPC: echo/vl3-nse = ${(e.cpuPerRpc / p.cpuPerRpc).toFixed(2)})`,
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
