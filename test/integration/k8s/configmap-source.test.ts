import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Overrides } from "../../../src/config/config.js";
import { ConfigError } from "../../../src/config/errors.js";
import { CONFIGMAP_API_CALLS, ConfigMapSource } from "../../../src/k8s/configmap-source.js";
import { FakeApiServer } from "../../support/k8s/fake-apiserver.js";
import { waitFor } from "../../support/k8s/wait.js";

const NS = "vl3";
const yaml = (pool: string) =>
  `endpoints:\n  - name: vl3-service\n    labels: {app: vl3-nse}\n    vl3:\n      ipam:\n        defaultPrefixPool: ${pool}\n`;

describe("ConfigMapSource against a local fake of the API server", () => {
  let fake: FakeApiServer;
  let source: ConfigMapSource | undefined;
  const changes: Overrides[] = [];
  const errors: Error[] = [];

  beforeEach(async () => {
    fake = await FakeApiServer.start();
    changes.length = 0;
    errors.length = 0;
  });
  afterEach(async () => {
    source?.stop();
    source = undefined;
    expect(fake.undeclared(CONFIGMAP_API_CALLS)).toEqual([]);
    await fake.close();
  });

  const open = (name = "vl3-nse-config") => {
    source = new ConfigMapSource({
      kubeConfig: fake.kubeConfig(NS),
      namespace: NS,
      name,
      onChange: (o) => changes.push(o),
      onError: (e) => errors.push(e),
      retryMs: 20,
      retryMaxMs: 100,
    });
    return source;
  };

  it("reads config.yaml, then reports a live edit as new overrides", async () => {
    fake.setConfigMap(NS, "vl3-nse-config", { "config.yaml": yaml("172.16.0.0/16") });
    const first = await open().start();
    expect(first.NSM_PREFIX_POOL).toBe("172.16.0.0/16");
    expect(first.NSM_LABELS).toBe("app=vl3-nse");

    fake.setConfigMap(NS, "vl3-nse-config", { "config.yaml": yaml("172.16.0.0/12") });
    await waitFor(() => changes.length === 1);
    expect(changes[0]!.NSM_PREFIX_POOL).toBe("172.16.0.0/12");
    expect(errors).toEqual([]);
    const watch = fake.requests.find((r) => r.verb === "watch")!;
    expect(watch.query.fieldSelector).toBe("metadata.name=vl3-nse-config");
  });

  it("reports a bad edit with its YAML path and keeps watching", async () => {
    fake.setConfigMap(NS, "vl3-nse-config", { "config.yaml": yaml("172.16.0.0/16") });
    await open().start();
    fake.setConfigMap(NS, "vl3-nse-config", { "config.yaml": yaml("not-a-cidr") });
    await waitFor(() => errors.length === 1);
    expect(errors[0]).toBeInstanceOf(ConfigError);
    expect((errors[0] as ConfigError).key).toBe("endpoints[0].vl3.ipam.defaultPrefixPool");
    fake.setConfigMap(NS, "vl3-nse-config", { "config.yaml": yaml("172.17.0.0/16") });
    await waitFor(() => changes.length === 1);
    expect(changes[0]!.NSM_PREFIX_POOL).toBe("172.17.0.0/16");
  });

  it("ignores an edit that leaves config.yaml as it was (another key changed)", async () => {
    fake.setConfigMap(NS, "vl3-nse-config", { "config.yaml": yaml("172.16.0.0/16") });
    await open().start();
    fake.setConfigMap(NS, "vl3-nse-config", { "config.yaml": yaml("172.16.0.0/16"), other: "x" });
    fake.setConfigMap(NS, "vl3-nse-config", { "config.yaml": yaml("172.18.0.0/16"), other: "x" });
    await waitFor(() => changes.length === 1);
    expect(changes.map((c) => c.NSM_PREFIX_POOL)).toEqual(["172.18.0.0/16"]);
  });

  it("resumes after the server ends the watch, and reads again after 410 Gone", async () => {
    fake.setConfigMap(NS, "vl3-nse-config", { "config.yaml": yaml("172.16.0.0/16") });
    await open().start();
    fake.endWatches();
    await waitFor(() => fake.requests.filter((r) => r.verb === "watch").length === 2);
    fake.setConfigMap(NS, "vl3-nse-config", { "config.yaml": yaml("172.20.0.0/16") });
    await waitFor(() => changes.length === 1);

    // A change made and compacted away while the watch is down: resuming from the old
    // resourceVersion gets 410 Gone, and the source reads the object again.
    const release = fake.holdWatches();
    fake.endWatches();
    await waitFor(() => fake.requests.filter((r) => r.verb === "watch").length === 3);
    fake.setConfigMap(NS, "vl3-nse-config", { "config.yaml": yaml("172.21.0.0/16") });
    fake.compact();
    const gets = fake.requests.filter((r) => r.verb === "get").length;
    release();
    await waitFor(() => changes.length === 2);
    expect(changes[1]!.NSM_PREFIX_POOL).toBe("172.21.0.0/16");
    expect(fake.requests.filter((r) => r.verb === "get").length).toBe(gets + 1);
    expect(errors).toEqual([]);
  });

  it("reports a deleted ConfigMap and takes it again when it comes back", async () => {
    fake.setConfigMap(NS, "vl3-nse-config", { "config.yaml": yaml("172.16.0.0/16") });
    await open().start();
    fake.deleteConfigMap(NS, "vl3-nse-config");
    await waitFor(() => errors.length === 1);
    expect(errors[0]!.message).toMatch(/deleted/);
    fake.setConfigMap(NS, "vl3-nse-config", { "config.yaml": yaml("172.16.0.0/16") });
    await waitFor(() => changes.length === 1);
  });

  it("rejects start when the ConfigMap or its key is missing", async () => {
    await expect(open("absent").start()).rejects.toThrow(/ConfigMap vl3\/absent not found/);
    fake.setConfigMap(NS, "nokey", { other: "x" });
    await expect(open("nokey").start()).rejects.toThrow(/has no key config.yaml/);
  });
});
