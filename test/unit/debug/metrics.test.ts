import { afterEach, describe, expect, it } from "vitest";
import { createMetrics, type Metrics } from "../../../src/debug/metrics.js";
import { FakeObservable, sampleMesh } from "../../support/debug/fake-observable.js";

describe("createMetrics", () => {
  let metrics: Metrics | undefined;
  afterEach(() => metrics?.close());

  it("counts actors by machine and state from the tree at scrape time", async () => {
    const observable = new FakeObservable(sampleMesh());
    metrics = createMetrics(observable);
    let text = await metrics.text();
    expect(text).toContain('vl3_actors{machine="endpoint",state="serving"} 1');
    expect(text).toContain('vl3_actors{machine="connection",state="up"} 2');
    expect(text).toContain('vl3_actors{machine="peer",state="healing.waiting"} 1');

    observable.current = { ...observable.current, children: observable.current.children.slice(0, 1) };
    text = await metrics.text();
    expect(text).toContain('vl3_actors{machine="peer",state="up"} 1');
    expect(text).not.toContain('state="healing.waiting"');
  });

  it("turns lifecycle signals into counters, histograms and gauges", async () => {
    const observable = new FakeObservable(sampleMesh());
    metrics = createMetrics(observable);
    observable.emit({ type: "request", kind: "client", outcome: "ok", seconds: 0.004 });
    observable.emit({ type: "request", kind: "client", outcome: "ok", seconds: 0.02 });
    observable.emit({ type: "request", kind: "peer", outcome: "error", code: "UNAVAILABLE", seconds: 2 });
    observable.emit({ type: "close", outcome: "ok", seconds: 0.003 });
    observable.emit({ type: "dataplane", backend: "kernel", outcome: "ok", seconds: 0.0015, items: 4 });
    observable.emit({ type: "dataplane", backend: "kernel", outcome: "error", seconds: 0.2, items: 1 });
    observable.emit({ type: "ipam", prefix: "172.16.1.0/24", used: 5, capacity: 254 });
    observable.emit({ type: "ipam", prefix: "fd00:172:16:1::/64", used: 2, capacity: 2 ** 64 });
    observable.emit({ type: "peer", name: "nse-vl3-b", up: true });
    observable.emit({ type: "peer", name: "nse-vl3-c", up: true });
    observable.emit({ type: "peer", name: "nse-vl3-c", up: false, reason: "heal" });
    observable.emit({ type: "transition", actor: "peer", id: "peer/nse-vl3-c", from: "up", to: "healing" });
    observable.emit({ type: "prefix", prefix: "172.16.1.0/24", source: "static" });
    const text = await metrics.text();

    expect(text).toContain('vl3_requests_total{kind="client",outcome="ok",code="OK"} 2');
    expect(text).toContain('vl3_requests_total{kind="peer",outcome="error",code="UNAVAILABLE"} 1');
    expect(text).toContain('vl3_request_duration_seconds_bucket{le="0.005",kind="client",outcome="ok"} 1');
    expect(text).toContain('vl3_request_duration_seconds_bucket{le="0.025",kind="client",outcome="ok"} 2');
    expect(text).toContain('vl3_request_duration_seconds_count{kind="peer",outcome="error"} 1');
    expect(text).toContain('vl3_closes_total{outcome="ok"} 1');
    expect(text).toContain("vl3_close_duration_seconds_count 1");
    expect(text).toContain('vl3_dataplane_transactions_total{backend="kernel",outcome="ok"} 1');
    expect(text).toContain('vl3_dataplane_transactions_total{backend="kernel",outcome="error"} 1');
    expect(text).toContain('vl3_dataplane_transaction_duration_seconds_count{backend="kernel"} 2');
    expect(text).toContain('vl3_ipam_addresses_used{family="ipv4"} 5');
    expect(text).toContain('vl3_ipam_addresses_capacity{family="ipv4"} 254');
    expect(text).toContain('vl3_ipam_addresses_used{family="ipv6"} 2');
    expect(text).toContain("vl3_peers_up 1");
  });

  it("includes Node process metrics with the vl3_ prefix, on its own registry", async () => {
    metrics = createMetrics(new FakeObservable(sampleMesh()));
    const text = await metrics.text();
    expect(text).toMatch(/^vl3_process_cpu_user_seconds_total \d/m);
    expect(text).toContain("vl3_nodejs_heap_size_used_bytes");
    expect(text).not.toMatch(/^process_cpu/m);
    expect(metrics.contentType).toMatch(/^text\/plain/);
  });

  it("stops listening when closed", () => {
    const observable = new FakeObservable(sampleMesh());
    const m = createMetrics(observable);
    expect(observable.listenerCount).toBe(1);
    m.close();
    expect(observable.listenerCount).toBe(0);
  });
});
