// Request+Close pairs through the whole endpoint (startNse: element chain, endpoint and connection
// actors, IPAM, data-plane queue with the in-memory back end) against a bare grpc-js unary echo
// server, measured in the same run, over the same kind of socket (unix). Each server runs in a
// forked child process of its own, so client and server do not share a JS thread. A pair is two
// RPCs: the comparison is pairs/s x 2 against echo calls/s. Both are warmed up with as many RPCs.
// The two are measured in alternating rounds, so that both meet the machine's load as it varies, at
// each of several loads (calls in flight). A server's rate is the best it reached over those loads: a
// server whose calls take longer needs more of them in flight to be kept busy, and the echo's rate is
// set by its client at any load. Every load's figures are printed too.
// The loads are interleaved (64, 128, 256, then 256, 128, 64, ...) and the server that goes first
// alternates, so that drift of the machine and what is left of the warm-up fall on all of them alike.
// Run: npm run bench:request   (BENCH_PAIRS, BENCH_ECHO, BENCH_ROUNDS: sizes per load; BENCH_WARMUP:
// RPCs of warm-up; BENCH_CONCURRENCY: the loads, e.g. "64,128,256"; BENCH_CPU_PROF=<dir> writes a
// CPU profile of the NSE child there). Bad values stop it with a message naming the variable.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import type { Mechanism } from "../../src/grpc/gen/networkservice/connection.js";
import { NetworkServiceClient } from "../../src/grpc/gen/networkservice/networkservice.js";
import { closeOn, nscRequest, requestOn } from "../support/endpoint.js";
import {
  add,
  empty,
  loads,
  rate,
  round,
  type Server,
  type Subject,
  setting,
  startServer,
  type Tally,
  usageSummary,
} from "./request-rounds.js";
import { echoMethod } from "./request-servers.mjs";

const PAIRS = setting("BENCH_PAIRS", 10_000, 200_000);
const ECHO = setting("BENCH_ECHO", 20_000, 400_000);
const LOADS = loads("BENCH_CONCURRENCY", [64, 128, 256], 1024, 8);
const ROUNDS = setting("BENCH_ROUNDS", 4, 20);
/** RPCs in the warm-up of each (echo calls, and half as many pairs): the endpoint's CPU per RPC falls for ~30,000. */
const WARMUP = setting("BENCH_WARMUP", 32_000, 400_000);
const WARMUP_PAIRS = Math.ceil(WARMUP / 2);
const TARGET = 0.6;
/** The whole run is bounded: a minute, plus four times what it takes at 4,000 echo calls and 1,000 pairs a second. */
const LIMIT_MS =
  60_000 + 4_000 * (WARMUP / 4_000 + WARMUP_PAIRS / 1_000 + LOADS.length * (ECHO / 4_000 + PAIRS / 1_000));

const ECHO_MESSAGE: Mechanism = {
  cls: "LOCAL",
  type: "KERNEL-0123456789abcdefghijklmnop",
  parameters: { name: "nsc-x" },
};

async function echoSubject(server: Server): Promise<Subject> {
  const Client = grpc.makeGenericClientConstructor(
    { Echo: await echoMethod() } as grpc.ServiceDefinition,
    "Echo",
  );
  const client = new Client(server.target, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
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
  return { name: "echo", server: server.child, rpcs: 1, op, close: () => client.close() };
}

/** Request+Close pairs as NSCs behind an nsmgr send them (a path segment, kernel mechanism), each NSC new. */
function pairSubject(server: Server): Subject & { readonly sent: number } {
  const client = new NetworkServiceClient(server.target, grpc.credentials.createInsecure());
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
  const limit = setTimeout(() => {
    console.error(`bench:request did not finish in ${(LIMIT_MS / 1000).toFixed(0)} s`);
    for (const s of servers) s.child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    process.exit(1);
  }, LIMIT_MS);
  try {
    const echo = await startServer("echo", join(dir, "echo.sock"));
    servers.push(echo);
    // BENCH_CPU_PROF=<dir> profiles the NSE child (node --cpu-prof), to find its hot spots.
    const prof = process.env.BENCH_CPU_PROF
      ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
      : [];
    const nse = await startServer("nse", join(dir, "nse.sock"), prof);
    servers.push(nse);
    const e = await echoSubject(echo);
    const p = pairSubject(nse);
    subjects.push(e, p);
    console.log(
      `bench:request: unix sockets, each server in a forked child process; a warm-up of ${WARMUP} RPCs each` +
        ` (${WARMUP} echo calls, ${WARMUP_PAIRS} pairs), then ${ROUNDS} rounds of each at each load` +
        ` (${LOADS.join(", ")} calls in flight), interleaved`,
    );
    // Not counted: V8 keeps speeding both up for the first tens of thousands of calls.
    await round(e, WARMUP, LOADS[0]!);
    await round(p, WARMUP_PAIRS, LOADS[0]!);
    const tallies = new Map(LOADS.map((load) => [load, { echo: empty(), nse: empty() }]));
    const perRound = { echo: Math.ceil(ECHO / ROUNDS), nse: Math.ceil(PAIRS / ROUNDS) };
    let nseFirst = false;
    for (let pass = 0; pass < ROUNDS; pass++) {
      for (const load of pass % 2 === 0 ? LOADS : [...LOADS].reverse()) {
        const t = tallies.get(load)!;
        for (const side of nseFirst ? (["nse", "echo"] as const) : (["echo", "nse"] as const)) {
          t[side] = add(t[side], await round(side === "nse" ? p : e, perRound[side], load));
        }
        nseFirst = !nseFirst;
      }
    }
    for (const [load, t] of tallies) {
      console.log(
        `  ${String(load).padStart(4)} in flight: echo ${rate(t.echo).toFixed(0)} calls/s (${usageSummary(t.echo, e.rpcs)})\n` +
          `                vl3-nse ${rate(t.nse).toFixed(0)} pairs/s = ${(rate(t.nse) * 2).toFixed(0)} RPC/s (${usageSummary(t.nse, p.rpcs)});` +
          ` ratio ${((rate(t.nse) * 2) / rate(t.echo)).toFixed(2)}`,
      );
    }
    const best = (pick: (t: { echo: Tally; nse: Tally }) => Tally) =>
      [...tallies].reduce((a, b) => (rate(pick(b[1])) > rate(pick(a[1])) ? b : a));
    const [echoLoad, bestEcho] = best((t) => t.echo);
    const [nseLoad, bestNse] = best((t) => t.nse);
    console.log(
      `bare grpc-js unary echo:     best ${rate(bestEcho.echo).toFixed(0)} calls/s (${echoLoad} in flight)`,
    );
    console.log(
      `vl3-nse Request+Close pairs: best ${rate(bestNse.nse).toFixed(0)} pairs/s = ${(rate(bestNse.nse) * 2).toFixed(0)} RPC/s` +
        ` (${nseLoad} in flight; a pair is 2 RPCs)`,
    );
    const counted = await countedRequests(nse.debug!);
    const sent = p.sent;
    console.log(`NSE /metrics counted ${counted} Requests (${sent} sent)`);
    const ratio = (rate(bestNse.nse) * 2) / rate(bestEcho.echo);
    console.log(
      `ratio of the best rates (pairs/s x 2) / (echo calls/s) = ${ratio.toFixed(2)}; target >= ${TARGET} -> ${ratio >= TARGET ? "met" : "NOT met"}`,
    );
    // The metrics must have seen every Request; a target not met is reported, not an error.
    if (counted !== sent) throw new Error(`/metrics counted ${counted} Requests, ${sent} were sent`);
    nse.child.send({ stop: true });
    await new Promise((r) => nse.child.once("exit", r));
  } finally {
    for (const s of subjects) s.close();
    for (const s of servers) if (s.child.exitCode === null) s.child.kill();
    clearTimeout(limit);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
