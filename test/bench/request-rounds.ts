// The measuring side of bench:request: its settings, the server child processes, and timed rounds of
// calls with the CPU and event-loop time each process spent on them.
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

/** Calls in flight to measure at ("64,128,256"), each a whole number, none twice, at most `maxLoads`. */
export function loads(name: string, fallback: number[], max: number, maxLoads: number): number[] {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  const parts = raw.split(",").map((p) => p.trim());
  const values = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : Number.NaN));
  if (values.some((v) => !(v >= 1 && v <= max)) || values.length > maxLoads) {
    throw new Error(
      `${name}=${JSON.stringify(raw)}: want up to ${maxLoads} whole numbers 1-${max}, comma-separated`,
    );
  }
  return [...new Set(values)];
}

export interface Server {
  child: ChildProcess;
  target: string;
  /** The NSE's debug server (its /metrics), which runs during the bench as it does by default. */
  debug?: string;
}

/** Forks `request-servers.mjs` as `role` on `socket`; resolves once it serves. */
export function startServer(role: "echo" | "nse", socket: string, execArgv: string[] = []): Promise<Server> {
  const child = fork(fileURLToPath(new URL("./request-servers.mjs", import.meta.url)), [role, socket], {
    execArgv,
  });
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

/** What one or more rounds measured of one subject. */
export interface Tally {
  ops: number;
  seconds: number;
  /** CPU time (user + system) of the server process and of this process, the client, in µs. */
  serverCpu: number;
  clientCpu: number;
  /** The server's event loop: ms running callbacks, and ms waiting. */
  loopActive: number;
  loopIdle: number;
}

export const empty = (): Tally => ({
  ops: 0,
  seconds: 0,
  serverCpu: 0,
  clientCpu: 0,
  loopActive: 0,
  loopIdle: 0,
});

export const add = (a: Tally, b: Tally): Tally => ({
  ops: a.ops + b.ops,
  seconds: a.seconds + b.seconds,
  serverCpu: a.serverCpu + b.serverCpu,
  clientCpu: a.clientCpu + b.clientCpu,
  loopActive: a.loopActive + b.loopActive,
  loopIdle: a.loopIdle + b.loopIdle,
});

export const rate = (t: Tally) => t.ops / t.seconds;

/** CPU per RPC of the server and the client, and the share of time the server's event loop was busy. */
export function usageSummary(t: Tally, rpcs: number): string {
  const perRpc = (micros: number) => (micros / (t.ops * rpcs)).toFixed(0);
  const busy = t.loopActive / (t.loopActive + t.loopIdle);
  return `CPU/RPC ${perRpc(t.serverCpu)} us server, ${perRpc(t.clientCpu)} us client; server loop busy ${(busy * 100).toFixed(0)}%`;
}

/** Runs `count` operations, `inFlight` at a time; resolves with the elapsed seconds. */
async function drive(count: number, inFlight: number, op: () => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (next++ < count) await op();
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, worker));
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** Times `count` operations of `subject`, `inFlight` at a time, and what both processes spent. */
export async function round(subject: Subject, count: number, inFlight: number): Promise<Tally> {
  const before = await usageOf(subject.server);
  const mine = process.cpuUsage();
  const seconds = await drive(count, inFlight, () => subject.op());
  const after = await usageOf(subject.server);
  const client = process.cpuUsage(mine);
  return {
    ops: count,
    seconds,
    serverCpu: after.cpuMicros - before.cpuMicros,
    clientCpu: client.user + client.system,
    loopActive: after.loopActive - before.loopActive,
    loopIdle: after.loopIdle - before.loopIdle,
  };
}
