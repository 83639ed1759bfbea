// Heap and RSS per live connection: the endpoint (startNse from dist/, in-memory data plane, metrics
// on, as by default) in a forked child with --expose-gc, given 1,000 and then 10,000 connections by
// real Requests (64 in flight) that stay open; after a full GC the growth over a baseline taken after
// a warm-up, divided by the connections held. Memory after a full GC is not noisy as times are: each
// figure is measured once. Where the bytes go: two heap snapshots (baseline and 1,000 connections)
// summed by constructor, and the difference per connection.
// Run: npm run bench:memory   (BENCH_CONNECTIONS: the larger count, 10000)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { NetworkServiceClient } from "../../src/grpc/gen/networkservice/networkservice.js";
import { closeOn, nscRequest, requestOn } from "../support/endpoint.js";
import { growth, summarize } from "./heap-summary.js";
import { type Server, setting, startServer } from "./request-rounds.js";

const LARGE = setting("BENCH_CONNECTIONS", 10_000, 16_000);
const SMALL = Math.min(1_000, LARGE);
const LOAD = 64;
const WARMUP_PAIRS = 2_000;
const TARGET_KIB = 8;
const LIMIT_MS = 600_000;

interface Memory {
  heapUsed: number;
  rss: number;
}

function ask<T>(server: Server, message: object, key: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const on = (m: Record<string, unknown>) => {
      if (!(key in m)) return;
      server.child.off("message", on);
      resolve(m as T);
    };
    server.child.on("message", on);
    server.child.once("exit", (code) => reject(new Error(`the NSE exited (${code})`)));
    server.child.send(message);
  });
}

async function inFlight(count: number, op: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) await op(i);
  };
  await Promise.all(Array.from({ length: Math.min(LOAD, count) }, worker));
}

/** Live connection actors in the up state, from the NSE's /metrics. */
async function upConnections(debug: string): Promise<number> {
  const text = await fetch(`${debug}/metrics`).then((r) => r.text());
  return Number(/^vl3_actors\{machine="connection",state="up"\} (\d+)/m.exec(text)?.[1] ?? 0);
}

const kib = (bytes: number) => bytes / 1024;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "vl3-bench-memory-"));
  // A /18: 16,382 addresses for the clients.
  const nse = await startServer("nse", join(dir, "nse.sock"), ["--expose-gc"], ["18"]);
  const limit = setTimeout(() => {
    console.error(`bench:memory did not finish in ${LIMIT_MS / 1000} s`);
    nse.child.kill("SIGKILL");
    process.exit(1);
  }, LIMIT_MS);
  const client = new NetworkServiceClient(nse.target, grpc.credentials.createInsecure());
  try {
    console.log(
      `bench:memory: one vl3-nse (dist/, in-memory data plane, metrics on) in a child with --expose-gc;` +
        ` Requests ${LOAD} in flight from this process; ${WARMUP_PAIRS} Request+Close pairs of warm-up`,
    );
    await inFlight(WARMUP_PAIRS, async (i) =>
      closeOn(client, await requestOn(client, nscRequest({ name: `warm-${i}` }))),
    );
    const memory = () => ask<Memory & { collected: boolean }>(nse, { memory: true }, "heapUsed");
    const base = await memory();
    if (!base.collected) throw new Error("the NSE child has no gc(): --expose-gc did not reach it");
    await ask(nse, { heapSnapshot: join(dir, "base.heapsnapshot") }, "heapSnapshotWritten");
    console.log(
      `baseline after GC: heap ${(base.heapUsed / 2 ** 20).toFixed(1)} MiB, RSS ${(base.rss / 2 ** 20).toFixed(1)} MiB`,
    );
    // RSS keeps pages the warm-up's garbage used, so its growth over the baseline is noisy at first;
    // the growth from the smaller count to the larger (the last column) is the steadier figure.
    console.log(
      "connections   heap (MiB)   RSS (MiB)   over baseline: heap/conn  RSS/conn   since previous: heap/conn  RSS/conn",
    );
    let held = 0;
    let previous: Memory = base;
    const rows: { n: number; heap: number; rss: number }[] = [];
    for (const n of [SMALL, LARGE]) {
      await inFlight(n - held, (i) => requestOn(client, nscRequest({ name: `nsc-${held + i}` })));
      held = n;
      const up = await upConnections(nse.debug!);
      if (up !== n) throw new Error(`${up} connection actors are up, ${n} were requested`);
      const m = await memory();
      const row = { n, heap: (m.heapUsed - base.heapUsed) / n, rss: (m.rss - base.rss) / n };
      const added = n - (rows.at(-1)?.n ?? 0);
      rows.push(row);
      console.log(
        `${String(n).padStart(11)} ${(m.heapUsed / 2 ** 20).toFixed(1).padStart(12)} ${(m.rss / 2 ** 20).toFixed(1).padStart(11)}` +
          ` ${kib(row.heap).toFixed(2).padStart(20)} KiB ${kib(row.rss).toFixed(2).padStart(7)} KiB` +
          ` ${kib((m.heapUsed - previous.heapUsed) / added)
            .toFixed(2)
            .padStart(21)} KiB ${kib((m.rss - previous.rss) / added)
            .toFixed(2)
            .padStart(7)} KiB`,
      );
      previous = m;
      if (n === SMALL)
        await ask(nse, { heapSnapshot: join(dir, "small.heapsnapshot") }, "heapSnapshotWritten");
    }
    console.log(
      `where a connection's heap goes (heap snapshots: baseline and ${SMALL} connections, self sizes):`,
    );
    const top = growth(
      summarize(join(dir, "base.heapsnapshot")),
      summarize(join(dir, "small.heapsnapshot")),
      SMALL,
      15,
    );
    for (const t of top) {
      console.log(
        `  ${t.bytesPerUnit.toFixed(0).padStart(6)} B  ${t.countPerUnit.toFixed(1).padStart(6)} x  ${t.kind}`,
      );
    }
    nse.child.send({ stop: true });
    await new Promise((r) => nse.child.once("exit", r));
    const heap = kib(rows.at(-1)!.heap);
    console.log(
      `result: heap per live connection at ${LARGE} connections = ${heap.toFixed(2)} KiB (target <= ${TARGET_KIB}) ${heap <= TARGET_KIB ? "met" : "NOT met"}`,
    );
  } finally {
    client.getChannel().close();
    if (nse.child.exitCode === null) nse.child.kill();
    clearTimeout(limit);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
