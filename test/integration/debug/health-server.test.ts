// The health listener through real HTTP: only the probes (and, given them, the metrics) are served there; liveness fails when the
// event loop stalls or the gRPC server stops listening; readiness says what it waits for.
import { afterEach, describe, expect, it } from "vitest";
import { startHealthServer } from "../../../src/debug/health-server.js";
import { createMetrics } from "../../../src/debug/metrics.js";
import { Probes, type ProbesOptions } from "../../../src/debug/probes.js";
import { silentLogger } from "../../../src/log.js";
import { FakeObservable, sampleMesh } from "../../support/debug/fake-observable.js";
import { waitFor } from "../../support/endpoint.js";

describe("health listener", () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  const start = async (o: ProbesOptions) => {
    const probes = new Probes(o);
    cleanups.push(() => probes.close());
    const server = await startHealthServer({ host: "127.0.0.1", port: 0, probes, log: silentLogger() });
    cleanups.push(() => server.close());
    return async (path: string) => {
      const res = await fetch(`${server.url}${path}`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
  };

  it("answers the probes only, not the debug routes", async () => {
    const get = await start({ readiness: () => ({ prefix: true }), listening: () => true });
    expect(await get("/healthz")).toMatchObject({ status: 200, body: { ok: true, listening: true } });
    expect(await get("/readyz")).toEqual({ status: 200, body: { ready: true, prefix: true } });
    expect((await get("/debug/actors")).status).toBe(404);
    expect((await get("/metrics")).status).toBe(404);
  });

  it("serves the endpoint's Prometheus metrics when given them (what the pod's scrape annotations name)", async () => {
    const probes = new Probes({ readiness: () => ({}) });
    const metrics = createMetrics(new FakeObservable(sampleMesh()));
    cleanups.push(
      () => probes.close(),
      () => metrics.close(),
    );
    const server = await startHealthServer({
      host: "127.0.0.1",
      port: 0,
      probes,
      metrics,
      log: silentLogger(),
    });
    cleanups.push(() => server.close());
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^# HELP vl3_requests_total /m);
    expect(text).toMatch(/^vl3_process_cpu_seconds_total /m);
    expect((await fetch(`${server.url}/debug/actors`)).status).toBe(404);
  });

  it("is not live once the gRPC server stops listening, and live while it has not bound yet", async () => {
    let listening: boolean | undefined;
    const get = await start({ readiness: () => ({}), listening: () => listening });
    expect(await get("/healthz")).toMatchObject({ status: 200, body: { listening: "starting" } });
    listening = false;
    expect(await get("/healthz")).toMatchObject({
      status: 503,
      body: { ok: false, message: "not live: the gRPC server is not listening" },
    });
  });

  it("is not live after the event loop stalled longer than allowed", async () => {
    const get = await start({ readiness: () => ({}), listening: () => true, stallMs: 100, windowMs: 60_000 });
    // The monitor counts from its first sample on: wait for it.
    await waitFor(async () => Number((await get("/healthz")).body.eventLoopDelayMs) > 0, "a loop sample");
    // Blocks this process's event loop on purpose: the stall liveness has to notice.
    const until = Date.now() + 400;
    while (Date.now() < until) {}
    const res = await get("/healthz");
    expect(res.status).toBe(503);
    expect(String(res.body.message)).toMatch(/event loop stalled for \d+ ms/);
  });

  it("says on /readyz what a missing part waits for", async () => {
    const get = await start({
      readiness: () => ({ registered: true, prefix: false }),
      waitingFor: (part) => (part === "prefix" ? "the prefix server at tcp://198.18.0.1:5006" : undefined),
    });
    expect(await get("/readyz")).toMatchObject({
      status: 503,
      body: {
        missing: ["prefix"],
        message: "not ready: no prefix held (waiting for the prefix server at tcp://198.18.0.1:5006)",
      },
    });
  });
});
