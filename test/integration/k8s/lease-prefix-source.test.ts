import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PoolExhaustedError } from "../../../src/ipam/errors.js";
import { leaseName, PREFIX_ANNOTATION, SERVICE_LABEL } from "../../../src/k8s/lease-names.js";
import { KubernetesPrefixSource, LEASE_API_CALLS } from "../../../src/k8s/lease-prefix-source.js";
import { FakeApiServer } from "../../support/k8s/fake-apiserver.js";
import { waitFor } from "../../support/k8s/wait.js";

const NS = "vl3";
const SERVICE = "vl3-service";

describe("KubernetesPrefixSource against a local fake of the API server", () => {
  let fake: FakeApiServer;
  let sources: KubernetesPrefixSource[];

  beforeEach(async () => {
    fake = await FakeApiServer.start();
    sources = [];
  });
  afterEach(async () => {
    await Promise.all(sources.map((s) => s.stop()));
    expect(fake.undeclared(LEASE_API_CALLS)).toEqual([]);
    await fake.close();
  });

  const source = (
    id: string,
    o: { pool?: string; len?: number; renewEveryMs?: number; exclude?: string[] } = {},
  ) => {
    const s = new KubernetesPrefixSource({
      kubeConfig: fake.kubeConfig(NS),
      namespace: NS,
      service: SERVICE,
      identity: { id, pool: o.pool ?? "172.16.0.0/16", prefixLen: o.len ?? 24, exclude: o.exclude },
      leaseDurationSeconds: 60,
      renewEveryMs: o.renewEveryMs ?? 3_600_000,
      retryMs: 10,
    });
    sources.push(s);
    return s;
  };
  const holders = () =>
    fake.leaseList(NS).map((l) => [l.metadata!.annotations![PREFIX_ANNOTATION], l.spec!.holderIdentity]);

  it("creates a Lease named from the service and prefix, with labels, annotation and holder", async () => {
    expect(await source("node-a").start()).toBe("172.16.0.0/24");
    const lease = fake.lease(NS, "vl3-vl3-service-172-16-0-0-24")!;
    expect(lease.metadata!.labels).toEqual({
      "app.kubernetes.io/managed-by": "vl3-nse",
      [SERVICE_LABEL]: SERVICE,
    });
    expect(lease.metadata!.annotations![PREFIX_ANNOTATION]).toBe("172.16.0.0/24");
    expect(lease.spec!.holderIdentity).toBe("node-a");
    expect(lease.spec!.leaseDurationSeconds).toBe(60);
    expect(String(lease.spec!.renewTime)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it("never lets two raced sources share a prefix, and says so when the pool is spent", async () => {
    const racers = Array.from({ length: 6 }, (_, i) => source(`node-${i}`, { pool: "172.16.0.0/22" }));
    const results = await Promise.allSettled(racers.map((s) => s.start()));
    const won = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    const lost = results.flatMap((r) => (r.status === "rejected" ? [r.reason as Error] : []));
    expect(won.sort()).toEqual(["172.16.0.0/24", "172.16.1.0/24", "172.16.2.0/24", "172.16.3.0/24"]);
    expect(lost).toHaveLength(2);
    for (const err of lost) {
      expect(err).toBeInstanceOf(PoolExhaustedError);
      expect(err.message).toMatch(/no free \/24 for vl3-service/);
    }
    const held = holders();
    expect(new Set(held.map(([p]) => p)).size).toBe(4);
    expect(new Set(held.map(([, h]) => h)).size).toBe(4);
    // The race was real: some creates lost with 409 AlreadyExists.
    expect(fake.requests.some((r) => r.verb === "create" && r.status === 409)).toBe(true);
  });

  it("gives a restarted source with the same identity its prefix back; a release frees it", async () => {
    const a = source("node-a");
    const b = source("node-b");
    expect(await a.start()).toBe("172.16.0.0/24");
    expect(await b.start()).toBe("172.16.1.0/24");
    await a.stop(); // a crash or a restart: no release
    const again = source("node-a");
    expect(await again.start()).toBe("172.16.0.0/24");
    expect(fake.lease(NS, leaseName(SERVICE, "172.16.0.0/24"))!.spec!.leaseTransitions).toBe(0);
    await again.stop({ release: true });
    expect(fake.lease(NS, leaseName(SERVICE, "172.16.0.0/24"))).toBeUndefined();
    expect(await source("node-c").start()).toBe("172.16.0.0/24");
  });

  it("takes over a lease whose holder stopped renewing, but not a live one", async () => {
    const stale = new Date(Date.now() - 10 * 60_000).toISOString();
    const seed = (prefix: string, holder: string, renewTime: string) =>
      fake.putLease(NS, {
        metadata: {
          name: leaseName(SERVICE, prefix),
          labels: { "app.kubernetes.io/managed-by": "vl3-nse", [SERVICE_LABEL]: SERVICE },
          annotations: { [PREFIX_ANNOTATION]: prefix },
        },
        spec: {
          holderIdentity: holder,
          leaseDurationSeconds: 60,
          renewTime: renewTime as never,
          leaseTransitions: 2,
        },
      });
    seed("172.16.0.0/24", "node-live", new Date().toISOString());
    seed("172.16.1.0/24", "node-gone", stale);
    expect(await source("node-new").start()).toBe("172.16.1.0/24");
    const lease = fake.lease(NS, leaseName(SERVICE, "172.16.1.0/24"))!;
    expect(lease.spec!.holderIdentity).toBe("node-new");
    expect(lease.spec!.leaseTransitions).toBe(3);
    expect(
      fake.requests.some((r) => r.verb === "update" && r.name === leaseName(SERVICE, "172.16.1.0/24")),
    ).toBe(true);
    expect(fake.lease(NS, leaseName(SERVICE, "172.16.0.0/24"))!.spec!.holderIdentity).toBe("node-live");
  });

  it("claims again and reports the new prefix when a renewal finds the lease taken", async () => {
    const a = source("node-a");
    const changes: string[] = [];
    a.onChange((p) => changes.push(p));
    expect(await a.start()).toBe("172.16.0.0/24");
    const name = leaseName(SERVICE, "172.16.0.0/24");
    const lease = fake.lease(NS, name)!;
    fake.putLease(NS, {
      ...lease,
      spec: { ...lease.spec, holderIdentity: "node-thief", renewTime: new Date().toISOString() as never },
    });
    await a.renew();
    expect(changes).toEqual(["172.16.1.0/24"]);
    expect(a.current()).toBe("172.16.1.0/24");
    expect(fake.lease(NS, leaseName(SERVICE, "172.16.1.0/24"))!.spec!.holderIdentity).toBe("node-a");
    expect(fake.lease(NS, name)!.spec!.holderIdentity).toBe("node-thief");
  });

  it("with the pool spent after a loss, has no prefix and retries until one is free", async () => {
    const a = source("node-a", { pool: "172.16.0.0/23" });
    const b = source("node-b", { pool: "172.16.0.0/23" });
    const changes: string[] = [];
    a.onChange((p) => changes.push(p));
    await a.start();
    await b.start();
    const lease = fake.lease(NS, leaseName(SERVICE, "172.16.0.0/24"))!;
    fake.putLease(NS, {
      ...lease,
      spec: { ...lease.spec, holderIdentity: "node-thief", renewTime: new Date().toISOString() as never },
    });
    await a.renew();
    expect(a.current()).toBeUndefined();
    await b.stop({ release: true });
    await waitFor(() => changes.length === 1, "a retried claim");
    expect(changes).toEqual(["172.16.1.0/24"]);
    expect(a.current()).toBe("172.16.1.0/24");
  });

  it("re-creates a deleted lease for the same prefix without reporting a change", async () => {
    const a = source("node-a");
    const changes: string[] = [];
    a.onChange((p) => changes.push(p));
    await a.start();
    fake.deleteLease(NS, leaseName(SERVICE, "172.16.0.0/24"));
    await a.renew();
    expect(changes).toEqual([]);
    expect(a.current()).toBe("172.16.0.0/24");
    expect(fake.lease(NS, leaseName(SERVICE, "172.16.0.0/24"))!.spec!.holderIdentity).toBe("node-a");
  });

  it("keeps the prefix after a 409 that was only a stale resourceVersion, and when the API server is down", async () => {
    const a = source("node-a");
    const changes: string[] = [];
    a.onChange((p) => changes.push(p));
    await a.start();
    const name = leaseName(SERVICE, "172.16.0.0/24");
    fake.putLease(NS, fake.lease(NS, name)!); // same holder, newer resourceVersion
    await a.renew();
    fake.fail((r) => r.verb === "update", 503);
    await a.renew();
    expect(changes).toEqual([]);
    expect(a.current()).toBe("172.16.0.0/24");
    expect(fake.requests.filter((r) => r.verb === "update").map((r) => r.status)).toEqual([409, 200, 503]);
  });

  it("renews on its timer", async () => {
    await source("node-a", { renewEveryMs: 20 }).start();
    await waitFor(
      () => fake.requests.filter((r) => r.verb === "update" && r.status === 200).length >= 3,
      "3 renewals",
    );
  });

  it("retries start() over a flaky API server but not over a refusal", async () => {
    fake.fail((r) => r.verb === "list", 503, 2);
    expect(await source("node-a").start()).toBe("172.16.0.0/24");
    fake.fail((r) => r.verb === "list", 403, 1);
    await expect(source("node-b").start()).rejects.toMatchObject({ code: 403 });
  });

  it("skips excluded prefixes and works for an IPv6 pool", async () => {
    expect(await source("node-a", { exclude: ["172.16.0.0/23"] }).start()).toBe("172.16.2.0/24");
    const v6 = await source("node-b", { pool: "fd00:16::/112", len: 120 }).start();
    expect(v6).toBe("fd00:16::/120");
    expect(fake.lease(NS, leaseName(SERVICE, v6))).toBeDefined();
  });
});
