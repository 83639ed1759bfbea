import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { K8S_API_CALLS } from "../../../src/k8s/index.js";
import { silentLogger } from "../../../src/log.js";
import { WorkloadApiServer } from "../../../src/security/workload-api-server.js";
import { FakeApiServer } from "../../support/k8s/fake-apiserver.js";
import { waitFor } from "../../support/k8s/wait.js";

const ROOT = resolve(import.meta.dirname, "../../..");
const NS = "vl3";
const configYaml = (env: string) =>
  `endpoints:\n  - name: vl3-service\n    labels: {app: vl3-nse}\n    vl3: {ipam: {defaultPrefixPool: 172.16.0.0/16, prefixLength: 24}}\nenv:\n${env}`;

describe("vl3-nse run with Kubernetes settings, against a local fake of the API server", () => {
  let fake: FakeApiServer;
  let dir: string;
  let child: ChildProcess | undefined;
  let out = "";
  // Its SVID comes from a development Workload API, as a pod's comes from the SPIRE agent.
  let workloadApi: WorkloadApiServer;
  beforeAll(async () => {
    workloadApi = await WorkloadApiServer.start({ trustDomain: "k8s.nsm", log: silentLogger() });
  });
  afterAll(() => workloadApi.stop());

  beforeEach(async () => {
    fake = await FakeApiServer.start();
    dir = mkdtempSync(join(tmpdir(), "vl3-run-"));
    writeFileSync(join(dir, "kubeconfig"), fake.kubeconfigYaml(NS));
    out = "";
  });
  afterEach(async () => {
    if (child && child.exitCode === null) {
      child.kill("SIGKILL");
      await new Promise((r) => child!.once("exit", r));
    }
    child = undefined;
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const logs = () =>
    out
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { msg: string; level: number; [k: string]: unknown });

  it("claims its prefix with a Lease, records an Event, follows ConfigMap edits, and keeps the Lease on SIGTERM", async () => {
    fake.setConfigMap(NS, "vl3-nse-config", { "config.yaml": configYaml("  NSM_LOG_LEVEL: INFO\n") });
    const agent = await workloadApi.addWorkload({
      listen: `unix://${join(dir, "agent.sock")}`,
      spiffeId: `spiffe://k8s.nsm/ns/${NS}/pod/vl3-nse-x7k2p`,
    });
    child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "run"], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        KUBECONFIG: join(dir, "kubeconfig"),
        NSM_CONFIGMAP: `${NS}/vl3-nse-config`,
        NSM_PREFIX_SOURCE: "kubernetes",
        NSM_PREFIX_IDENTITY: "node-a",
        NSM_NAME: "vl3-nse-x7k2p",
        POD_NAME: "vl3-nse-x7k2p",
        POD_NAMESPACE: NS,
        POD_UID: "3f1c5e2a-0000-4000-8000-000000000001",
        NSM_LISTEN_ON: "tcp://127.0.0.1:0",
        NSM_DEBUG_LISTEN_ON: "tcp://127.0.0.1:0",
        SPIFFE_ENDPOINT_SOCKET: agent,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (out += d));
    await waitFor(
      () => out.includes("vl3-nse is serving") || child!.exitCode !== null,
      "vl3-nse to serve",
      25_000,
    );
    expect(out).toContain("vl3-nse is serving");

    const lease = fake.lease(NS, "vl3-vl3-service-172-16-0-0-24");
    expect(lease?.spec?.holderIdentity).toBe("node-a");
    await waitFor(
      () => fake.eventList(NS).some((e) => e.reason === "PrefixClaimed"),
      "a PrefixClaimed Event",
    );
    expect(fake.eventList(NS)[0]!.involvedObject.uid).toBe("3f1c5e2a-0000-4000-8000-000000000001");

    fake.setConfigMap(NS, "vl3-nse-config", {
      "config.yaml": configYaml("  NSM_LOG_LEVEL: INFO\n  NSM_DATAPLANE: vpp\n"),
    });
    await waitFor(() => logs().some((l) => l.msg.includes("apply after a restart")), "the restart notice");
    expect(logs().find((l) => l.msg.includes("apply after a restart"))?.settings).toEqual(["NSM_DATAPLANE"]);

    child.kill("SIGTERM");
    await waitFor(() => child!.exitCode !== null, "exit", 20_000);
    expect(child.exitCode).toBe(0);
    // A stopped pod keeps its Lease, so that the node's next pod gets the same prefix.
    expect(fake.lease(NS, "vl3-vl3-service-172-16-0-0-24")?.spec?.holderIdentity).toBe("node-a");
    expect(fake.undeclared(K8S_API_CALLS)).toEqual([]);
  });
});
