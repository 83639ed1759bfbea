import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadKubeConfig } from "../../../src/k8s/kubeconfig.js";

describe("loadKubeConfig", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "vl3-kubeconfig-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("uses the pod's service account in a cluster", async () => {
    writeFileSync(join(dir, "token"), "sa-token");
    writeFileSync(join(dir, "namespace"), "vl3\n");
    writeFileSync(join(dir, "ca.crt"), "");
    const env = {
      KUBERNETES_SERVICE_HOST: "10.96.0.1",
      KUBERNETES_SERVICE_PORT: "443",
      KUBECONFIG: "/nonexistent",
    };
    const { kubeConfig, source, namespace } = loadKubeConfig({ env, serviceAccountDir: dir });
    expect(source).toBe("in-cluster");
    expect(namespace).toBe("vl3");
    expect(kubeConfig.getCurrentCluster()?.server).toBe("https://10.96.0.1:443");
    const headers: Record<string, string> = {};
    await kubeConfig.applyToHTTPSOptions({ headers });
    expect(headers.Authorization).toBe("Bearer sa-token");
  });

  it("brackets an IPv6 service host", () => {
    writeFileSync(join(dir, "token"), "t");
    const { kubeConfig } = loadKubeConfig({
      env: { KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "443" },
      serviceAccountDir: dir,
    });
    expect(kubeConfig.getCurrentCluster()?.server).toBe("https://[fd00::1]:443");
  });

  it("falls back to KUBECONFIG outside a cluster", () => {
    const file = join(dir, "config");
    writeFileSync(
      file,
      "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:6443'}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u, namespace: ops}}]\ncurrent-context: x\n",
    );
    const loaded = loadKubeConfig({ env: { KUBECONFIG: file }, serviceAccountDir: join(dir, "none") });
    expect(loaded.source).toBe("kubeconfig");
    expect(loaded.namespace).toBe("ops");
    expect(loaded.kubeConfig.getCurrentCluster()?.server).toBe("https://127.0.0.1:6443");
  });

  it("says clearly when there is no configuration at all", () => {
    expect(() => loadKubeConfig({ env: { HOME: dir }, serviceAccountDir: join(dir, "none") })).toThrow(
      /no Kubernetes API configuration/,
    );
  });
});
