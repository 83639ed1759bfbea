import { resolve } from "node:path";
import { DaemonSet, Deployment } from "kubernetes-models/apps/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { Role, RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { loadConfig, SETTINGS } from "../../../src/config/config.js";
import { parseConfigFile } from "../../../src/config/file.js";
import { policyRules } from "../../../src/k8s/api-calls.js";
import { K8S_API_CALLS } from "../../../src/k8s/index.js";
import { hasKubectl, type K8sObject, kustomize } from "../../support/k8s/kustomize.js";

const DEPLOY = resolve(import.meta.dirname, "../../../deploy");

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string } };
}
interface Container {
  name: string;
  env?: EnvVar[];
  ports?: { name?: string; containerPort: number }[];
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  startupProbe?: { httpGet?: { path: string; port: string | number } };
  securityContext?: { capabilities?: { add?: string[]; drop?: string[] }; privileged?: boolean };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface PodSpec {
  serviceAccountName?: string;
  containers: Container[];
  volumes?: {
    name: string;
    configMap?: { name: string };
    hostPath?: { path: string };
    secret?: { secretName: string };
  }[];
}
type Workload = K8sObject & {
  spec: {
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
      spec: PodSpec;
    };
  };
};
type RoleObject = K8sObject & {
  rules: { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }[];
};

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "v1/Namespace": Namespace,
  "v1/ServiceAccount": ServiceAccount,
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  // NSM's CRD has no model here: its shape is checked in cluster-manifests.test.ts.
  "networkservicemesh.io/v1/NetworkService": class {
    constructor(private readonly o: { spec?: { payload?: string } }) {}
    validate() {
      if (this.o.spec?.payload !== "IP") throw new Error("NetworkService spec.payload must be IP");
    }
  } as never,
  "apps/v1/DaemonSet": DaemonSet,
  "apps/v1/Deployment": Deployment,
  "rbac.authorization.k8s.io/v1/Role": Role,
  "rbac.authorization.k8s.io/v1/RoleBinding": RoleBinding,
};

const find = <T extends K8sObject>(objs: K8sObject[], kind: string, name?: string) =>
  objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name)) as T[];

/** The container's env as the kubelet would give it: downward API values made up, $(VAR) expanded. */
function podEnv(c: Container, namespace: string): Record<string, string> {
  const downward: Record<string, string> = {
    "metadata.name": "vl3-nse-x7k2p",
    "metadata.namespace": namespace,
    "metadata.uid": "3f1c5e2a-0000-4000-8000-000000000001",
    "status.podIP": "198.18.0.10",
    "spec.nodeName": "node-a",
  };
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    const raw = e.value ?? downward[e.valueFrom?.fieldRef?.fieldPath ?? ""] ?? "";
    env[e.name] = raw.replace(/\$\(([A-Z_]+)\)/g, (m, v: string) => env[v] ?? m);
  }
  return env;
}

const BUILDS = [
  "base",
  "overlays/kernel",
  "overlays/vpp",
  "overlays/deployment",
  "examples/helloworld",
  "examples/mysql",
];
const SETTING_NAMES = new Set(SETTINGS.map((s) => s.env));

describe.skipIf(!hasKubectl)("deploy/ manifests (built with kubectl kustomize; skipped: no kubectl)", () => {
  // Built lazily: describe bodies run even when skipped.
  const cache = new Map<string, K8sObject[]>();
  const built = (b: string): K8sObject[] =>
    cache.get(b) ?? cache.set(b, kustomize(resolve(DEPLOY, b))).get(b)!;

  it.each(BUILDS)("%s: every object is valid against the Kubernetes schema", (b) => {
    expect(built(b).length).toBeGreaterThan(0);
    for (const o of built(b)) {
      const Model = MODELS[`${o.apiVersion}/${o.kind}`];
      expect(Model, `a model for ${o.apiVersion} ${o.kind}`).toBeDefined();
      expect(() => new Model!(o as never).validate(), `${o.kind}/${o.metadata.name}`).not.toThrow();
    }
  });

  it.each(BUILDS)("%s: selectors match pod labels; referenced objects exist", (b) => {
    const objs = built(b);
    for (const w of [...find<Workload>(objs, "DaemonSet"), ...find<Workload>(objs, "Deployment")]) {
      expect(w.spec.template.metadata.labels).toMatchObject(w.spec.selector.matchLabels);
      const pod = w.spec.template.spec;
      if (pod.serviceAccountName)
        expect(find(objs, "ServiceAccount", pod.serviceAccountName)).toHaveLength(1);
      for (const v of pod.volumes ?? [])
        if (v.configMap) expect(find(objs, "ConfigMap", v.configMap.name)).toHaveLength(1);
      for (const c of pod.containers) {
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef;
          if (ref) expect(find(objs, "Secret", ref.name)).toHaveLength(1);
        }
        for (const m of c.volumeMounts ?? []) expect(pod.volumes?.map((v) => v.name)).toContain(m.name);
      }
    }
    for (const rb of find<K8sObject & { roleRef: { name: string }; subjects: { name: string }[] }>(
      objs,
      "RoleBinding",
    )) {
      expect(find(objs, "Role", rb.roleRef.name)).toHaveLength(1);
      for (const s of rb.subjects) expect(find(objs, "ServiceAccount", s.name)).toHaveLength(1);
    }
  });

  const nse = (b: string) => {
    const objs = built(b);
    const ds = [
      ...find<Workload>(objs, "DaemonSet", "vl3-nse"),
      ...find<Workload>(objs, "Deployment", "vl3-nse"),
    ][0]!;
    const container = ds.spec.template.spec.containers.find((c) => c.name === "vl3-nse")!;
    const env = podEnv(container, ds.metadata.namespace!);
    const cm = find<K8sObject & { data: Record<string, string> }>(objs, "ConfigMap", "vl3-nse-config")[0]!;
    const config = loadConfig(env, parseConfigFile(cm.data["config.yaml"]!, "vl3-nse-config"));
    return { objs, ds, container, env, config };
  };

  it.each([
    ["base", "kernel"],
    ["overlays/kernel", "kernel"],
    ["overlays/vpp", "vpp"],
  ])("%s: the env and the ConfigMap make a valid configuration (data plane %s)", (b, dataplane) => {
    const { container, env, config, ds } = nse(b);
    for (const name of Object.keys(env).filter((n) => n.startsWith("NSM_")))
      expect(SETTING_NAMES).toContain(name);
    expect(config.dataplane).toBe(dataplane);
    expect(config.prefixSource).toBe("kubernetes");
    expect(config.name).toBe("vl3-nse-x7k2p");
    expect(config.nodeName).toBe("node-a");
    expect(config.prefixIdentity).toBe("node-a");
    expect(config.serviceNames).toEqual(["vl3-service"]);
    expect(config.kubeConfigMap).toEqual({ namespace: ds.metadata.namespace, name: "vl3-nse-config" });
    expect(config.connectTo).toEqual({ kind: "unix", path: "/var/lib/networkservicemesh/nsm.io.sock" });
    const nsmMount = container.volumeMounts!.find((m) => m.mountPath === "/var/lib/networkservicemesh")!;
    const nsmVolume = ds.spec.template.spec.volumes!.find((v) => v.name === nsmMount.name)!;
    expect(nsmVolume.hostPath?.path).toBe("/var/lib/networkservicemesh");
    // The kubelet probes the health listener, which binds every address on the probed port; the
    // debug server (clients' addresses in its tree) stays on loopback.
    expect(config.healthListenOn).toEqual({ kind: "tcp", host: "0.0.0.0", port: 9091 });
    expect(container.ports!.find((p) => p.name === "health")?.containerPort).toBe(9091);
    expect(config.debugListenOn).toEqual({ kind: "tcp", host: "127.0.0.1", port: 9090 });
    expect(container.ports!.some((p) => p.containerPort === 9090)).toBe(false);
    expect(container.livenessProbe?.httpGet).toEqual({ path: "/healthz", port: "health" });
    expect(container.readinessProbe?.httpGet).toEqual({ path: "/readyz", port: "health" });
    expect(container.startupProbe?.httpGet).toEqual({ path: "/healthz", port: "health" });
  });

  it.each([
    "base",
    "overlays/kernel",
    "overlays/vpp",
  ])("%s: SPIFFE as NSM's deployments do it (SPIRE agent socket read-only, the ClusterSPIFFEID label)", (b) => {
    const { container, config, ds } = nse(b);
    expect(config.insecure).toBe(false);
    expect(config.spiffeEndpointSocket).toBe("unix:///run/spire/sockets/agent.sock");
    expect(ds.spec.template.metadata.labels).toMatchObject({ "spiffe.io/spiffe-id": "true" });
    const mount = container.volumeMounts!.find((m) => m.mountPath === "/run/spire/sockets")!;
    expect(mount.readOnly).toBe(true);
    const volume = ds.spec.template.spec.volumes!.find((v) => v.name === mount.name)!;
    expect(volume.hostPath).toEqual({ path: "/run/spire/sockets", type: "Directory" });
  });

  it("base: the Role grants exactly the API calls src/k8s makes, the ConfigMap by name", () => {
    const { objs, config } = nse("base");
    const role = find<RoleObject>(objs, "Role", "vl3-nse")[0]!;
    const rules = role.rules.map(({ resourceNames: _, ...r }) => r);
    expect(rules.sort((a, b) => a.resources[0]!.localeCompare(b.resources[0]!))).toEqual(
      policyRules(K8S_API_CALLS).sort((a, b) => a.resources[0]!.localeCompare(b.resources[0]!)),
    );
    const cmRule = role.rules.find((r) => r.resources.includes("configmaps"))!;
    expect(cmRule.resourceNames).toEqual([config.kubeConfigMap!.name]);
  });

  it("the kernel data plane adds NET_ADMIN and NET_BIND_SERVICE and nothing else; overlays/vpp runs a vpp-agent on the agent URL", () => {
    const kernel = nse("overlays/kernel").container.securityContext!;
    expect(kernel.capabilities).toEqual({ add: ["NET_ADMIN", "NET_BIND_SERVICE"], drop: ["ALL"] });
    expect(kernel.privileged).toBeUndefined();
    const { ds, config, objs } = nse("overlays/vpp");
    const agent = ds.spec.template.spec.containers.find((c) => c.name === "vpp-agent")!;
    const grpcConf = find<K8sObject & { data: Record<string, string> }>(
      objs,
      "ConfigMap",
      "vpp-agent-config",
    )[0]!;
    const port = Number(/endpoint: [^:]+:(\d+)/.exec(grpcConf.data["grpc.conf"]!)?.[1]);
    expect(config.vppAgentUrl).toEqual({ kind: "tcp", host: "localhost", port });
    expect(port).toBe(9111);
    const memifOf = (c: Container) => c.volumeMounts!.find((m) => m.name === "memif")?.mountPath;
    const nseContainer = ds.spec.template.spec.containers.find((c) => c.name === "vl3-nse")!;
    expect(memifOf(agent)).toBe("/var/lib/vl3-nse/memif");
    expect(memifOf(nseContainer)).toBe("/var/lib/vl3-nse/memif");
  });

  it.each([
    "examples/helloworld",
    "examples/mysql",
  ])("%s: every pod is an NSM client of the vL3 service", (b) => {
    const service = nse("base").config.serviceNames[0];
    const workloads = find<Workload>(built(b), "Deployment");
    expect(workloads.length).toBeGreaterThan(0);
    for (const w of workloads) {
      expect(w.spec.template.metadata.annotations?.["networkservicemesh.io"]).toBe(
        `kernel://${service}/nsm-1`,
      );
    }
  });
});
