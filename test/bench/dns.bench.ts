// bench:dns: queries per second answered by one endpoint's workload DNS, for its own names (local)
// and for names only a peer holds (fanout: every query a name not asked before, so none comes from
// the cache), against a minimal responder on the same library (dns-packet) in the same run. The
// servers run in a child process (dns-servers.ts); the load generator here shares the cores, so the
// primary figure is the servers' CPU time per answered query, from the child's own CPU clock (the
// fanout's includes the peer's work). Rounds are interleaved, the first subject alternating; the
// headline is the median of the rounds, with the spread.
// Run: npm run bench:dns   (BENCH_ROUNDS, BENCH_QUERIES: per subject and round; BENCH_INFLIGHT)
import { fork } from "node:child_process";
import dgram from "node:dgram";
import { decodeMessage, encodeMessage, queryMessage } from "../../src/dns/wire.js";

function setting(name: string, fallback: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    process.stderr.write(`bench:dns: ${name}="${raw}" is not a whole number from 1 to ${max}\n`);
    process.exit(2);
  }
  return n;
}

const ROUNDS = Math.max(5, setting("BENCH_ROUNDS", 5, 50));
const QUERIES = setting("BENCH_QUERIES", 4000, 200_000);
const INFLIGHT = setting("BENCH_INFLIGHT", 32, 1024);
const LOCAL = 1000;
/** Target: the endpoint's CPU per local-name query at most twice the minimal responder's. */
const TARGET = 2;

type Subject = "baseline" | "local" | "fanout";

/** Sends `names` as A queries with `INFLIGHT` outstanding; a query unanswered in 2 s counts as lost. */
function blast(
  port: number,
  names: string[],
): Promise<{ answered: number; lost: number; ms: number; latencies: number[] }> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket("udp4");
    const pending = new Map<number, NodeJS.Timeout>();
    const sentAt = new Map<number, number>();
    const latencies: number[] = [];
    let next = 0;
    let answered = 0;
    let lost = 0;
    const started = performance.now();
    const send = () => {
      if (next >= names.length) {
        if (pending.size === 0) {
          socket.close();
          resolve({ answered, lost, ms: performance.now() - started, latencies });
        }
        return;
      }
      const id = next % 65_536;
      const name = names[next++]!;
      pending.set(
        id,
        setTimeout(() => {
          pending.delete(id);
          lost++;
          send();
        }, 2000),
      );
      sentAt.set(id, performance.now());
      socket.send(encodeMessage(queryMessage(id, name, "A")), port, "127.0.0.1");
    };
    socket.on("message", (buf) => {
      const id = decodeMessage(buf).id;
      const timer = pending.get(id);
      if (!timer) return;
      clearTimeout(timer);
      pending.delete(id);
      answered++;
      latencies.push(performance.now() - sentAt.get(id)!);
      send();
    });
    socket.bind(0, "127.0.0.1", () => {
      for (let i = 0; i < INFLIGHT; i++) send();
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const spread = (xs: number[], digits: number) =>
  `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;

async function main(): Promise<void> {
  const child = fork(new URL("./dns-servers.ts", import.meta.url).pathname, { stdio: "inherit" });
  // One standing listener (the IPC channel alone does not keep this process waiting); answers come in order.
  const waiting: Array<(r: unknown) => void> = [];
  child.on("message", (r) => waiting.shift()?.(r));
  const alive = setInterval(() => {}, 60_000);
  const ask = <T>(m: object) =>
    new Promise<T>((resolve) => {
      waiting.push((r) => resolve(r as T));
      child.send(m);
    });
  const remoteNeeded = (ROUNDS + 1) * QUERIES;
  const ports = await ask<{ endpoint: number; baseline: number }>({
    cmd: "start",
    local: LOCAL,
    remote: remoteNeeded,
  });
  const localNames = Array.from({ length: QUERIES }, (_, i) => `local-${i % LOCAL}.vl3-service.`);
  let remoteAt = 0;
  const remoteNames = () => Array.from({ length: QUERIES }, () => `remote-${remoteAt++}.vl3-service.`);
  const results: Record<Subject, { qps: number[]; cpu: number[]; p50: number[]; p99: number[] }> = {
    baseline: { qps: [], cpu: [], p50: [], p99: [] },
    local: { qps: [], cpu: [], p50: [], p99: [] },
    fanout: { qps: [], cpu: [], p50: [], p99: [] },
  };
  const run = async (subject: Subject, record: boolean) => {
    const names = subject === "fanout" ? remoteNames() : localNames;
    const port = subject === "baseline" ? ports.baseline : ports.endpoint;
    const before = (await ask<{ cpu: number }>({ cmd: "cpu" })).cpu;
    const r = await blast(port, names);
    const after = (await ask<{ cpu: number }>({ cmd: "cpu" })).cpu;
    if (r.lost > 0) process.stdout.write(`  (${subject}: ${r.lost} queries lost)\n`);
    if (!record) return;
    results[subject].qps.push(r.answered / (r.ms / 1000));
    results[subject].cpu.push((after - before) / Math.max(1, r.answered));
    const sorted = r.latencies.sort((a, b) => a - b);
    results[subject].p50.push(sorted[Math.floor(sorted.length * 0.5)] ?? 0);
    results[subject].p99.push(sorted[Math.floor(sorted.length * 0.99)] ?? 0);
  };
  // Warm-up: every subject once, not counted.
  for (const s of ["baseline", "local", "fanout"] as const) await run(s, false);
  for (let round = 0; round < ROUNDS; round++) {
    const order: Subject[] =
      round % 2 === 0 ? ["baseline", "local", "fanout"] : ["fanout", "local", "baseline"];
    for (const s of order) await run(s, true);
  }
  child.send({ cmd: "stop" });
  clearInterval(alive);
  process.stdout.write(
    `bench:dns: ${ROUNDS} rounds of ${QUERIES} queries per subject, ${INFLIGHT} in flight, UDP on loopback\n\n`,
  );
  process.stdout.write(
    "subject   queries/s median (spread)      server CPU per query median (spread)   latency p50 / p99 (medians)\n",
  );
  for (const s of ["baseline", "local", "fanout"] as const) {
    const { qps, cpu, p50, p99 } = results[s];
    process.stdout.write(
      `${`${s.padEnd(9)} ${median(qps).toFixed(0).padStart(8)} (${spread(qps, 0)})`.padEnd(41)}${`${median(cpu).toFixed(1)} µs (${spread(cpu, 1)})`.padEnd(39)}${median(p50).toFixed(2)} / ${median(p99).toFixed(2)} ms\n`,
    );
  }
  const base = median(results.baseline.cpu);
  const local = median(results.local.cpu) / base;
  const fanout = median(results.fanout.cpu) / base;
  process.stdout.write(
    `\nratios against the minimal responder: CPU per query local ${local.toFixed(2)}, fanout ${fanout.toFixed(2)}; ` +
      `queries/s local ${(median(results.local.qps) / median(results.baseline.qps)).toFixed(2)}, ` +
      `fanout ${(median(results.fanout.qps) / median(results.baseline.qps)).toFixed(2)}\n`,
  );
  process.stdout.write(
    `result: DNS server CPU per local-name query vs minimal responder = ${local.toFixed(2)} ratio (target <= ${TARGET}) ${local <= TARGET ? "met" : "NOT met"}\n`,
  );
}

await main();
