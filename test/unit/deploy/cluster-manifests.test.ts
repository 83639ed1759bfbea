// What a cluster install must be, checked on the built manifests (kubectl kustomize): NSM's vL3 shape
// (unix socket, NSM and SPIRE sockets mounted, NSM_REGISTER_SERVICE=false with a NetworkService that
// keeps clients on their node), nothing a default kubelet refuses, a data plane that moves packets (the
// in-memory one is refused, and a manifest that would run it is caught), policies, pinned images.
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { type Config, loadConfig } from "../../../src/config/config.js";
import { parseConfigFile } from "../../../src/config/file.js";
import { hasKubectl, type K8sObject, kustomize } from "../../support/k8s/kustomize.js";

const DEPLOY = resolve(import.meta.dirname, "../../../deploy");
const CLUSTER = ["base", "overlays/kernel", "overlays/vpp", "overlays/deployment"];
/** The kubelet's safe sysctls (any other needs --allowed-unsafe-sysctls). */
const SAFE_SYSCTLS = [
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_unprivileged_port_start",
];

interface Env {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}
interface Container {
  name: string;
  image: string;
  env?: Env[];
  command?: string[];
  securityContext?: {
    privileged?: boolean;
    capabilities?: { add?: string[]; drop?: string[] };
    seccompProfile?: { type: string };
  };
  ports?: { name: string; containerPort: number }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface Pod {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    securityContext?: { sysctls?: { name: string }[] };
    initContainers?: Container[];
    containers: Container[];
    volumes?: { name: string; hostPath?: { path: string } }[];
  };
}
type Workload = K8sObject & { spec: { template: Pod } };

const cache = new Map<string, K8sObject[]>();
const built = (b: string) => cache.get(b) ?? cache.set(b, kustomize(resolve(DEPLOY, b))).get(b)!;
const workloads = (objs: K8sObject[]) =>
  objs.filter((o) => o.kind === "DaemonSet" || o.kind === "Deployment") as Workload[];
const nsePod = (objs: K8sObject[]) => workloads(objs).find((w) => w.metadata.name === "vl3-nse")!;

function envOf(c: Container): Record<string, string> {
  const downward: Record<string, string> = {
    "metadata.name": "vl3-nse-x",
    "metadata.namespace": "vl3-nse",
    "spec.nodeName": "node-a",
    "status.podIP": "198.18.0.10",
    "metadata.uid": "u",
  };
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    const raw = e.value ?? downward[e.valueFrom?.fieldRef?.fieldPath ?? ""] ?? "";
    env[e.name] = raw.replace(/\$\(([A-Z_]+)\)/g, (m, v: string) => env[v] ?? m);
  }
  return env;
}

function configOf(objs: K8sObject[], c: Container): Config {
  const cm = objs.find((o) => o.kind === "ConfigMap" && o.metadata.name === "vl3-nse-config") as
    | (K8sObject & { data: Record<string, string> })
    | undefined;
  return loadConfig(envOf(c), cm ? parseConfigFile(cm.data["config.yaml"]!, "vl3-nse-config") : undefined);
}

/** Why a cluster manifest's endpoint would not move packets or would not be NSM's; [] when fine. */
export function clusterProblems(objs: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const w of workloads(objs)) {
    for (const c of w.spec.template.spec.containers.filter((c) => c.name === "vl3-nse")) {
      const config = configOf(objs, c);
      if (config.dataplane === "memory")
        problems.push(`${w.kind}/${w.metadata.name}: the in-memory data plane moves no packets`);
      if (config.listenOn.some((u) => u.kind !== "unix"))
        problems.push(`${w.kind}/${w.metadata.name}: NSM_LISTEN_ON is not a unix socket`);
    }
  }
  return problems;
}

describe.skipIf(!hasKubectl)("cluster manifests (kubectl kustomize; skipped: no kubectl)", () => {
  it.each(CLUSTER)("%s: moves packets and listens on a unix socket (no in-memory data plane)", (b) => {
    expect(clusterProblems(built(b))).toEqual([]);
  });

  it("catches a cluster manifest that would run the in-memory data plane", () => {
    const objs = structuredClone(built("base"));
    const c = nsePod(objs).spec.template.spec.containers[0]!;
    c.env = [
      ...(c.env ?? []).filter((e) => e.name !== "NSM_DATAPLANE"),
      { name: "NSM_DATAPLANE", value: "memory" },
    ];
    expect(clusterProblems(objs)).toEqual(["DaemonSet/vl3-nse: the in-memory data plane moves no packets"]);
  });

  it.each(
    CLUSTER,
  )("%s: nothing a default kubelet refuses; nothing privileged but VPP; forwarding set with NET_ADMIN and SYS_ADMIN only", (b) => {
    for (const w of workloads(built(b))) {
      const pod = w.spec.template.spec;
      for (const s of pod.securityContext?.sysctls ?? []) expect(SAFE_SYSCTLS).toContain(s.name);
      for (const c of [...(pod.initContainers ?? []), ...pod.containers].filter(
        (c) => c.name !== "vpp-agent",
      ))
        expect(c.securityContext?.privileged, `${c.name} privileged`).not.toBe(true);
      // test/integration/k8s/forwarding-init.test.ts runs this command with exactly these capabilities.
      const init = pod.initContainers?.find((c) => c.name === "forwarding");
      if (w.metadata.name === "vl3-nse") {
        expect(init?.securityContext).toMatchObject({
          capabilities: { add: ["NET_ADMIN", "SYS_ADMIN"], drop: ["ALL"] },
          seccompProfile: { type: "RuntimeDefault" },
        });
      }
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        expect(c.image, `${c.name}'s image`).toMatch(/^[^:@]+(:[^:@]+|@sha256:[0-9a-f]{64})$/);
        expect(c.image).not.toMatch(/:latest$/);
      }
    }
  });

  it.each(
    CLUSTER,
  )("%s: NSM's vL3 shape: the NSM and SPIRE sockets, no service registration, a NetworkService by node", (b) => {
    const objs = built(b);
    const w = nsePod(objs);
    const c = w.spec.template.spec.containers.find((c) => c.name === "vl3-nse")!;
    const env = envOf(c);
    const config = configOf(objs, c);
    expect(config.connectTo).toEqual({ kind: "unix", path: "/var/lib/networkservicemesh/nsm.io.sock" });
    expect(config.fdPassing).toBe("auto");
    expect(config.registerService).toBe(false);
    expect(config.labels).toMatchObject({ nodeName: "node-a" });
    expect(env.SPIFFE_ENDPOINT_SOCKET).toBe("unix:///run/spire/sockets/agent.sock");
    expect(w.spec.template.metadata.labels["spiffe.io/spiffe-id"]).toBe("true");
    const mounts = Object.fromEntries((c.volumeMounts ?? []).map((m) => [m.mountPath, m]));
    const volumes = Object.fromEntries((w.spec.template.spec.volumes ?? []).map((v) => [v.name, v]));
    for (const path of ["/var/lib/networkservicemesh", "/run/spire/sockets"]) {
      expect(mounts[path]?.readOnly, path).toBe(true);
      expect(volumes[mounts[path]!.name]?.hostPath?.path).toBe(path);
    }
    const ns = objs.find((o) => o.kind === "NetworkService") as K8sObject & {
      spec: {
        matches: { fallthrough?: boolean; routes: { destination_selector: Record<string, string> }[] }[];
      };
    };
    expect(ns.metadata.name).toBe(config.serviceNames[0]);
    expect(ns.spec.matches[0]).toEqual({
      fallthrough: true,
      routes: [{ destination_selector: { nodeName: "{{ .nodeName }}" } }],
    });
  });

  it.each(
    CLUSTER,
  )("%s: Prometheus scrapes /metrics on the health listener, the port the NetworkPolicy opens", (b) => {
    const objs = built(b);
    const w = nsePod(objs);
    const c = w.spec.template.spec.containers.find((c) => c.name === "vl3-nse")!;
    const health = configOf(objs, c).healthListenOn;
    expect(health).toMatchObject({ kind: "tcp", host: "0.0.0.0" });
    const port = (health as { port: number }).port;
    expect(w.spec.template.metadata.annotations).toMatchObject({
      "prometheus.io/scrape": "true",
      "prometheus.io/port": String(port),
      "prometheus.io/path": "/metrics",
    });
    expect(c.ports?.find((p) => p.name === "health")?.containerPort).toBe(port);
    const policy = objs.find((o) => o.kind === "NetworkPolicy" && o.metadata.name === "vl3-nse") as
      | (K8sObject & { spec: { ingress: { ports: { port: number }[] }[] } })
      | undefined;
    expect(policy?.spec.ingress.flatMap((r) => r.ports.map((p) => p.port))).toContain(port);
  });

  it("a NetworkPolicy lets only the probes and the scrapes in; the debug server stays on loopback", () => {
    const objs = built("base");
    const policy = objs.find(
      (o) => o.kind === "NetworkPolicy" && o.metadata.name === "vl3-nse",
    ) as K8sObject & {
      spec: {
        podSelector: { matchLabels: Record<string, string> };
        ingress: { ports: { port: number }[] }[];
      };
    };
    const w = nsePod(objs);
    expect(w.spec.template.metadata.labels).toMatchObject(policy.spec.podSelector.matchLabels);
    expect(policy.spec.ingress.flatMap((r) => r.ports.map((p) => p.port))).toEqual([
      configOf(objs, w.spec.template.spec.containers[0]!).healthListenOn?.kind === "tcp" ? 9091 : -1,
    ]);
    expect(configOf(objs, w.spec.template.spec.containers[0]!).debugListenOn).toMatchObject({
      host: "127.0.0.1",
    });
  });

  it("overlays/deployment: N replicas of the base's pod, prefixes from the vl3-ipam Service", () => {
    const objs = built("overlays/deployment");
    expect(objs.filter((o) => o.kind === "DaemonSet")).toEqual([]);
    const d = nsePod(objs) as Workload & { spec: { replicas: number } };
    expect(d.kind).toBe("Deployment");
    expect(d.spec.replicas).toBeGreaterThan(1);
    const config = configOf(objs, d.spec.template.spec.containers[0]!);
    expect(config.prefixSource).toBe("server");
    expect(config.prefixServerUrl).toEqual({ kind: "tcp", host: "vl3-ipam", port: 5006 });
    const svc = objs.find((o) => o.kind === "Service" && o.metadata.name === "vl3-ipam") as K8sObject & {
      spec: { ports: { port: number }[] };
    };
    expect(svc.spec.ports[0]!.port).toBe(5006);
    // The same pod as the DaemonSet's but for where its prefix comes from.
    const base = nsePod(built("base")).spec.template;
    const strip = (p: Pod) => ({
      ...p,
      spec: {
        ...p.spec,
        containers: p.spec.containers.map((c) => ({
          ...c,
          env: c.env?.filter((e) => !e.name.startsWith("NSM_PREFIX_")),
        })),
      },
    });
    expect(strip(d.spec.template)).toEqual(strip(base));
  });
});
