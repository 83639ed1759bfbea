// The measuring side of bench:request: its settings, the server child processes, and timed rounds of
// operations with the CPU and event-loop time each process spent on them and each operation's latency.
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";

/** A whole number from the environment in [1, max], or `fallback` when unset; anything else stops the bench. */
export function setting(name: string, fallback: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  const n = /^\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!(n >= 1 && n <= max)) throw new Error(`${name}=${JSON.stringify(raw)}: want a whole number 1-${max}`);
  return n;
}

export interface Server {
  child: ChildProcess;
  target: string;
  /** The NSE's debug server (its /metrics), which runs during the bench as it does by default. */
  debug?: string;
}

/**
 * Forks `request-servers.mjs` as `role` on `socket`; resolves once it serves. With `workloadApi` (its
 * SPIFFE_ENDPOINT_SOCKET) it serves SPIFFE mTLS and does the path-token work; without, plain text.
 */
export function startServer(
  role: "echo" | "nse",
  socket: string,
  execArgv: string[] = [],
  args: string[] = [],
  workloadApi?: string,
): Promise<Server> {
  const script = fileURLToPath(new URL("./request-servers.mjs", import.meta.url));
  const env = { ...process.env, SPIFFE_ENDPOINT_SOCKET: workloadApi ?? "" };
  const child = fork(script, [role, socket, ...args], { execArgv, env });
  // A child that died makes send() emit 'error': report it through the round that waits, not as a crash.
  child.on("error", () => {});
  return new Promise((resolve, reject) => {
    child.once("message", (m: { ready: string; debug?: string }) =>
      resolve({ child, target: m.ready, debug: m.debug }),
    );
    child.once("exit", (code) => reject(new Error(`${role} server exited (${code}) before it was ready`)));
  });
}

/** A child's CPU time (µs) and its event loop's active and idle time (ms), all since it started. */
interface Usage {
  cpuMicros: number;
  loopActive: number;
  loopIdle: number;
}

function usageOf(child: ChildProcess): Promise<Usage> {
  return new Promise((resolve, reject) => {
    const on = (m: Partial<Usage>) => {
      if (m.cpuMicros === undefined) return;
      child.off("message", on);
      child.off("exit", gone);
      resolve(m as Usage);
    };
    const gone = (code: number | null) => reject(new Error(`server exited (${code}) during the bench`));
    child.on("message", on);
    child.once("exit", gone);
    child.send({ cpu: true });
  });
}

/** One side of the comparison: a server, an operation of `rpcs` RPCs on it (which numbers its own calls), and its client to close. */
export interface Subject {
  name: string;
  server: ChildProcess;
  rpcs: number;
  op(): Promise<unknown>;
  close(): void;
}

/** What one round measured of one subject. */
export interface Tally {
  ops: number;
  /** Each operation's latency, ms. */
  latencies: number[];
  seconds: number;
  /** CPU time (user + system) of the server process and of this process, the client, in µs. */
  serverCpu: number;
  clientCpu: number;
  /** The server's event loop: ms running callbacks, and ms waiting. */
  loopActive: number;
  loopIdle: number;
}

export const rate = (t: Tally) => t.ops / t.seconds;

/** The server's CPU per operation, µs. */
export const serverCpuPerOp = (t: Tally) => t.serverCpu / t.ops;

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** "0.41 (0.38-0.45)": the median and the spread over rounds. */
export function spread(values: number[], digits: number): string {
  const f = (n: number) => n.toFixed(digits);
  return `${f(median(values))} (${f(Math.min(...values))}-${f(Math.max(...values))})`;
}

/** Runs `count` operations, `inFlight` at a time, noting each one's latency; resolves with the elapsed seconds. */
async function drive(
  count: number,
  inFlight: number,
  op: () => Promise<unknown>,
  latencies: number[],
): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next++ < count) {
      const t0 = performance.now();
      await op();
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, worker));
  return (performance.now() - started) / 1000;
}

/** Times `count` operations of `subject`, `inFlight` at a time, and what both processes spent. */
export async function round(subject: Subject, count: number, inFlight: number): Promise<Tally> {
  const before = await usageOf(subject.server);
  const mine = process.cpuUsage();
  const latencies: number[] = [];
  const seconds = await drive(count, inFlight, () => subject.op(), latencies);
  const after = await usageOf(subject.server);
  const client = process.cpuUsage(mine);
  return {
    ops: count,
    latencies,
    seconds,
    serverCpu: after.cpuMicros - before.cpuMicros,
    clientCpu: client.user + client.system,
    loopActive: after.loopActive - before.loopActive,
    loopIdle: after.loopIdle - before.loopIdle,
  };
}
