// Kernel data plane throughput: 1,000 client connections programmed on the NSE side (link up,
// the NSE's /32 address, a /32 route to the client) one `ip` command at a time, against
// KernelDataplane with one `ip -batch` per transaction, one connection per transaction and
// several coalesced per transaction (as the queue does). The veth pairs are created before the
// timed part, in a network namespace of the benchmark's own, and deleted with it at the end.
// Run: npm run bench:dataplane   (root; BENCH_CONNECTIONS=n to change the count)
import { spawnSync } from "node:child_process";
import { DataplaneQueue } from "../../src/dataplane/queue.js";
import type { Dataplane, Item } from "../../src/dataplane/types.js";
import { KernelDataplane } from "../../src/kernel/dataplane.js";
import { ipBatch, runIp } from "../../src/kernel/ip.js";
import { createNetns, deleteNetns } from "../../src/kernel/netns.js";
import { silentLogger } from "../../src/log.js";

const N = Math.min(Math.max(Number(process.env.BENCH_CONNECTIONS ?? 1000) || 1000, 1), 4000);
const TARGET_RATIO = 20;
const TARGET_RATE = 1000;
const NSE_ADDR = "198.18.0.1/32";
const QUEUE_MODE = "endpoint path: DataplaneQueue, burst";

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

/** One `ip` process per change: what a back end without batching does. */
async function perCommand(netns: string): Promise<Result> {
  return timed("one ip process per command", N * 3, async () => {
    for (let i = 0; i < N; i++) {
      for (const args of [
        ["link", "set", "dev", ifName(i), "up"],
        ["addr", "replace", NSE_ADDR, "dev", ifName(i)],
        ["route", "replace", clientHost(i), "dev", ifName(i)],
      ]) {
        const { code, stderr } = await runIp(args, { netns });
        if (code !== 0) throw new Error(`ip ${args.join(" ")}: ${stderr}`);
      }
    }
  });
}

async function viaDataplane(netns: string, perTxn: number): Promise<Result> {
  const dp = new KernelDataplane({ netns });
  const txns = Math.ceil(N / perTxn);
  const label = `KernelDataplane, ${perTxn} connection${perTxn > 1 ? "s" : ""}/txn`;
  return timed(label, txns, async () => {
    for (let t = 0; t < txns; t++) {
      const put: Item[] = [];
      for (let i = t * perTxn; i < Math.min(N, (t + 1) * perTxn); i++) put.push(...connectionItems(i));
      await dp.apply({ put, del: [] });
    }
  });
}

/** The endpoint's own path: every connection's change given to the queue at once, as a burst of
 * Requests does; the queue coalesces them into transactions (one in flight). */
async function viaQueue(netns: string): Promise<Result> {
  const dp = new KernelDataplane({ netns });
  let txns = 0;
  const counting: Dataplane = {
    name: dp.name,
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
    const results: Result[] = [];
    for (const run of [
      () => perCommand(netns),
      () => viaDataplane(netns, 1),
      () => viaDataplane(netns, 10),
      () => viaDataplane(netns, 100),
      () => viaQueue(netns),
    ]) {
      results.push(await run());
      await verify(netns);
      await reset(netns);
    }
    report(results);
  } finally {
    await cleanup();
  }
}

function report(results: Result[]): void {
  const base = N / results[0]!.seconds;
  console.log("");
  console.log("mode                                   ip runs   seconds   connections/s   vs per-command");
  for (const r of results) {
    const rate = N / r.seconds;
    console.log(
      `${r.mode.padEnd(38)} ${String(r.txns).padStart(7)}   ${r.seconds.toFixed(3).padStart(7)}` +
        `   ${rate.toFixed(0).padStart(13)}   ${(rate / base).toFixed(1).padStart(13)}x`,
    );
  }
  // The verdict is the endpoint's own path (the queue), not the best hand-batched row.
  const judged = results.find((r) => r.mode === QUEUE_MODE) ?? results.at(-1)!;
  const rate = N / judged.seconds;
  const met = rate >= TARGET_RATE && rate / base >= TARGET_RATIO;
  console.log("");
  console.log(
    `target: >= ${TARGET_RATIO}x and >= ${TARGET_RATE} connections/s on the endpoint path (${judged.mode}):` +
      ` ${rate.toFixed(0)} connections/s, ${(rate / base).toFixed(1)}x -> ${met ? "met" : "NOT met"}`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
