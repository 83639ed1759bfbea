// Prefix sources: the static one, and IpamPrefixSource against our prefix server on a real socket.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import bunyan from "bunyan";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/log.js";
import { IpamPrefixSource } from "../../../src/prefix/ipam-source.js";
import { type PrefixServer, startPrefixServer } from "../../../src/prefix/server.js";
import { StaticPrefixSource } from "../../../src/prefix/static.js";
import { waitFor } from "../registry/helpers.js";

const log = silentLogger();
const backoff = { initialMs: 20, maxMs: 200 };

describe("StaticPrefixSource", () => {
  it("holds its prefix, canonical, and checks it against the pool", async () => {
    const s = new StaticPrefixSource("172.16.4.0/24", { pool: "172.16.0.0/16" });
    expect(s.kind).toBe("static");
    expect(await s.start()).toBe("172.16.4.0/24");
    expect(s.current()).toBe("172.16.4.0/24");
    await s.stop();
    await expect(new StaticPrefixSource("10.0.0.0/24", { pool: "172.16.0.0/16" }).start()).rejects.toThrow(
      /not inside the pool/,
    );
    await expect(new StaticPrefixSource("nonsense").start()).rejects.toThrow(/NSM_PREFIX/);
  });
});

describe("IpamPrefixSource", () => {
  let dir: string;
  let server: PrefixServer;
  let serverLog: bunyan.RingBuffer;
  const sources: IpamPrefixSource[] = [];
  const source = (id: string, target = server.url) => {
    const s = new IpamPrefixSource({
      target,
      identity: { id, pool: "172.16.0.0/16", prefixLen: 24 },
      log,
      backoff,
      timeoutMs: 2000,
    });
    sources.push(s);
    return s;
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "vl3-prefix-src-"));
    serverLog = new bunyan.RingBuffer({ limit: 1000 });
    server = await startPrefixServer({
      log: bunyan.createLogger({
        name: "prefix-server",
        streams: [{ type: "raw", stream: serverLog, level: "info" }],
      }),
      listenOn: "127.0.0.1:0",
      pool: "172.16.0.0/16",
      prefixLen: 24,
      stateFile: join(dir, "state.json"),
    });
  });
  afterEach(async () => {
    await Promise.all(sources.splice(0).map((s) => s.stop()));
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("claims a prefix and gets the same one back when the endpoint restarts", async () => {
    const first = source("nse-a");
    const prefix = await first.start();
    expect(first.current()).toBe(prefix);
    await first.stop();
    const again = source("nse-a");
    expect(await again.start()).toBe(prefix);
  });

  it("keeps its prefix across a prefix-server restart, without a change event", async () => {
    const a = source("nse-a");
    const b = source("nse-b");
    const [pa, pb] = await Promise.all([a.start(), b.start()]);
    const changes: string[] = [];
    a.onChange((p) => changes.push(p));
    await server.restart({ downMs: 100 });
    // Both redial and re-ask for the prefix they hold, which the restarted server still has for them.
    const asked = (who: string) =>
      serverLog.records.filter(
        (r: { msg: string; who: string }) => r.msg === "prefix allocated" && r.who === who,
      );
    await waitFor(() => asked("nse-a").length === 2 && asked("nse-b").length === 2, "both to re-ask", 10_000);
    expect(asked("nse-a")[1]).toMatchObject({ prefix: pa, requested: pa });
    const c = source("nse-c");
    const pc = await c.start();
    expect([pa, pb]).not.toContain(pc);
    await waitFor(() => server.allocations().length === 3, "all three allocations");
    expect(a.current()).toBe(pa);
    expect(b.current()).toBe(pb);
    expect(changes).toEqual([]);
  });

  it("redials after the server was down and re-asks for its prefix", async () => {
    const a = source("nse-a");
    const pa = await a.start();
    await server.stop();
    rmSync(join(dir, "state.json")); // the server comes back with nothing: only the client remembers
    await new Promise((r) => setTimeout(r, 100));
    const url = server.url;
    server = await startPrefixServer({ listenOn: url, pool: "172.16.0.0/16", prefixLen: 24 });
    await waitFor(() => server.allocations().length === 1, "the redialled claim", 10_000);
    expect(server.allocations()).toEqual([{ identity: "nse-a", prefix: pa }]);
    expect(a.current()).toBe(pa);
  });

  it("tells its listeners when the server gives a different prefix", async () => {
    const a = source("nse-a");
    const pa = await a.start();
    const changes: string[] = [];
    a.onChange((p) => changes.push(p));
    await server.stop();
    rmSync(join(dir, "state.json"));
    const url = server.url;
    // A restarted server without state, whose pool has since been narrowed to exclude pa.
    server = await startPrefixServer({ listenOn: url, pool: "172.16.0.0/16", prefixLen: 24, exclude: [pa] });
    await waitFor(() => changes.length === 1, "a change event", 10_000);
    expect(changes[0]).not.toBe(pa);
    expect(a.current()).toBe(changes[0]);
  });

  it("stop({ release }) gives the prefix back", async () => {
    const a = source("nse-a");
    await a.start();
    await a.stop({ release: true });
    expect(server.allocations()).toEqual([]);
  });

  it("gives 20 concurrent sources 20 distinct prefixes", async () => {
    const all = Array.from({ length: 20 }, (_, i) => source(`nse-${i}`));
    const prefixes = await Promise.all(all.map((s) => s.start()));
    expect(new Set(prefixes).size).toBe(20);
    expect(server.allocations()).toHaveLength(20);
  });

  it("rejects start() with a clear error when the pool is exhausted, and when nothing answers in time", async () => {
    await server.stop();
    server = await startPrefixServer({ listenOn: "127.0.0.1:0", pool: "172.16.0.0/24", prefixLen: 24 });
    await source("nse-a").start();
    await expect(source("nse-b").start()).rejects.toThrow(/RESOURCE_EXHAUSTED/);
    const url = server.url;
    await server.stop();
    const lonely = new IpamPrefixSource({
      target: url,
      identity: { id: "nse-c", pool: "172.16.0.0/16", prefixLen: 24 },
      log,
      backoff,
      startTimeoutMs: 300,
    });
    sources.push(lonely);
    await expect(lonely.start()).rejects.toThrow(/no prefix from .* within 300 ms/);
  });
});
