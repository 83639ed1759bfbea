// Kernel data plane: 1,000 client connections programmed on the NSE side (link up, the NSE's /32
// address, a /32 route to the client) by the endpoint's own path (every connection given to the
// DataplaneQueue at once, as a burst of Requests does, over KernelDataplane), against two references
// in the same run: the obvious implementation (one `ip -batch` per connection) and the limit (every
// change in one single `ip -batch`). Rounds of all three, the order reversed every other round; the
// headline is the median over the rounds of the burst path's time / the limit's, with the spread. The
// veth pairs are created before the timed part, in a network namespace of the benchmark's own, and
// deleted with it at the end.
// Run: npm run bench:dataplane   (root; BENCH_CONNECTIONS: the count, 1000; BENCH_ROUNDS: >= 5, 5)
import { spawnSync } from "node:child_process";
import { DataplaneQueue } from "../../src/dataplane/queue.js";
import type { Dataplane, Item } from "../../src/dataplane/types.js";
import { KernelDataplane } from "../../src/kernel/dataplane.js";
import { ipBatch } from "../../src/kernel/ip.js";
import { createNetns, deleteNetns } from "../../src/kernel/netns.js";
import { silentLogger } from "../../src/log.js";
import { median, setting, spread } from "./request-rounds.js";

const N = setting("BENCH_CONNECTIONS", 1000, 4000);
const ROUNDS = Math.max(5, setting("BENCH_ROUNDS", 5, 20));
/** The burst path within this factor of the limit's time. */
const TARGET_RATIO = 2;
const NSE_ADDR = "198.18.0.1/32";
const QUEUE_MODE = "endpoint path: DataplaneQueue, burst";
const OBVIOUS_MODE = "one ip -batch per connection";
const LIMIT_MODE = "limit: one ip -batch for all";

const ifName = (i: number) => `nsc-bench${String(i).padStart(5, "0")}`;
const clientHost = (i: number) => `198.19.${i >> 8}.${i & 255}/32`;

function connectionItems(i: number): Item[] {
  const name = ifName(i);
  return [
    {
      type: "interface",
      name,
      role: "server",
      mechanism: { cls: "LOCAL", type: "KERNEL", parameters: { name } },
    },
    { type: "address", ifName: name, cidr: NSE_ADDR },
    { type: "route", dst: clientHost(i), ifName: name },
  ];
}

interface Result {
  mode: string;
  txns: number;
  seconds: number;
}

async function timed(mode: string, txns: number, fn: () => Promise<void>): Promise<Result> {
  const start = process.hrtime.bigint();
  await fn();
  return { mode, txns, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

function connectionLines(i: number): string[] {
  return [
    `link set dev ${ifName(i)} up`,
    `addr replace ${NSE_ADDR} dev ${ifName(i)}`,
    `route replace ${clientHost(i)} dev ${ifName(i)}`,
  ];
}

/** The obvious implementation: each connection's three changes in one `ip -batch` of their own. */
async function perConnection(netns: string): Promise<Result> {
  return timed(OBVIOUS_MODE, N, async () => {
    for (let i = 0; i < N; i++) await ipBatch(connectionLines(i), { netns });
  });
}

/** The limit: every change of every connection in one `ip -batch`. */
async function oneBatch(netns: string): Promise<Result> {
  return timed(LIMIT_MODE, 1, async () => {
    const lines: string[] = [];
    for (let i = 0; i < N; i++) lines.push(...connectionLines(i));
    await ipBatch(lines, { netns, timeoutMs: 120_000 });
  });
}

/** The endpoint's own path: every connection's change given to the queue at once, as a burst of
 * Requests does; the queue coalesces them into transactions (one in flight). */
async function viaQueue(netns: string): Promise<Result> {
  const dp = new KernelDataplane({ netns });
  let txns = 0;
  const counting: Dataplane = {
    name: dp.name,
    maxBatch: dp.maxBatch,
    apply: (txn) => {
      txns++;
      return dp.apply(txn);
    },
    resync: (desired) => dp.resync(desired),
    dump: () => dp.dump(),
    close: () => dp.close(),
  };
  const queue = new DataplaneQueue(counting, { log: silentLogger() });
  const result = await timed(QUEUE_MODE, 0, async () => {
    await Promise.all(Array.from({ length: N }, (_, i) => queue.set(`conn-${i}`, connectionItems(i))));
  });
  await queue.close();
  return { ...result, txns };
}

/** Every connection's address and route are there (read back, untimed). */
async function verify(netns: string): Promise<void> {
  const items = await new KernelDataplane({ netns }).dump();
  const addrs = items.filter((i) => i.type === "address").length;
  const routes = items.filter((i) => i.type === "route").length;
  const up = items.filter((i) => i.type === "interface").length;
  if (addrs !== N || routes !== N || up !== N) {
    throw new Error(`expected ${N} links up, addresses and routes; found ${up}, ${addrs}, ${routes}`);
  }
}

/** Back to bare links (untimed), so every mode does the same work. */
async function reset(netns: string): Promise<void> {
  const lines: string[] = [];
  for (let i = 0; i < N; i++) {
    lines.push(`route del ${clientHost(i)} dev ${ifName(i)}`, `addr del ${NSE_ADDR} dev ${ifName(i)}`);
    lines.push(`link set dev ${ifName(i)} down`);
  }
  await ipBatch(lines, { netns, force: true, timeoutMs: 120_000 });
}

async function main(): Promise<void> {
  const canNetns = process.getuid?.() === 0 && spawnSync("ip", ["netns", "list"]).status === 0;
  if (!canNetns) {
    console.log("bench:dataplane needs root and iproute2 (ip netns): skipped.");
    return;
  }
  const netns = `vl3b-${process.pid}`;
  const cleanup = () => deleteNetns(netns);
  process.once("SIGINT", () => void cleanup().finally(() => process.exit(130)));
  await createNetns(netns);
  try {
    const setup = await timed("setup", 1, async () => {
      const lines: string[] = [];
      for (let i = 0; i < N; i++) lines.push(`link add name ${ifName(i)} type veth peer name p-bench${i}`);
      await ipBatch(lines, { netns, timeoutMs: 120_000 });
    });
    console.log(
      `kernel data plane: ${N} connections, NSE side = link up + /32 address + /32 route each;` +
        ` ${N} veth pairs pre-created in netns ${netns} outside the timed part (${setup.seconds.toFixed(2)} s)`,
    );
    const modes: Array<[string, () => Promise<Result>]> = [
      [QUEUE_MODE, () => viaQueue(netns)],
      [LIMIT_MODE, () => oneBatch(netns)],
      [OBVIOUS_MODE, () => perConnection(netns)],
    ];
    const results = new Map<string, Result[]>(modes.map(([m]) => [m, []]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const [mode, run] of r % 2 === 0 ? modes : [...modes].reverse()) {
        results.get(mode)!.push(await run());
        await verify(netns);
        await reset(netns);
      }
    }
    report(results);
  } finally {
    await cleanup();
  }
}

function report(results: Map<string, Result[]>): void {
  const limit = results.get(LIMIT_MODE)!;
  console.log("");
  console.log(`median (min-max) of ${ROUNDS} rounds`);
  console.log(
    "mode                                  ip runs            seconds      connections/s     time / limit",
  );
  for (const [mode, rs] of results) {
    const ratios = rs.map((r, i) => r.seconds / limit[i]!.seconds);
    console.log(
      `${mode.padEnd(36)} ${String(median(rs.map((r) => r.txns))).padStart(8)} ${spread(
        rs.map((r) => r.seconds),
        3,
      ).padStart(18)}` +
        ` ${spread(
          rs.map((r) => N / r.seconds),
          0,
        ).padStart(18)} ${spread(ratios, 2).padStart(16)}`,
    );
  }
  const queue = results.get(QUEUE_MODE)!;
  const ratio = median(queue.map((r, i) => r.seconds / limit[i]!.seconds));
  console.log(
    `result: burst path/one-batch limit time for ${N} connections = ${ratio.toFixed(2)} ratio (target <= ${TARGET_RATIO}) ${ratio <= TARGET_RATIO ? "met" : "NOT met"}`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
