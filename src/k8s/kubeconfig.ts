// Where the Kubernetes API is: the pod's service account when running in a cluster, else KUBECONFIG
// or ~/.kube/config (an operator running vl3-nse by hand against a cluster).
import { existsSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import * as k8s from "@kubernetes/client-node";

const SERVICE_ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount";

export interface KubeConfigOptions {
  /** Environment to read (KUBERNETES_SERVICE_HOST/PORT, KUBECONFIG, HOME); default process.env. */
  env?: Record<string, string | undefined>;
  /** The service account directory (tests point it at a temporary one). */
  serviceAccountDir?: string;
}

export interface LoadedKubeConfig {
  kubeConfig: k8s.KubeConfig;
  source: "in-cluster" | "kubeconfig";
  /** The namespace the credentials belong to, if known (the service account's, or the context's). */
  namespace?: string;
}

/** Loads the API server's address and credentials; throws with a clear message if there are none. */
export function loadKubeConfig(options: KubeConfigOptions = {}): LoadedKubeConfig {
  const env = options.env ?? process.env;
  const dir = options.serviceAccountDir ?? SERVICE_ACCOUNT;
  const host = env.KUBERNETES_SERVICE_HOST;
  if (host && existsSync(join(dir, "token")))
    return inCluster(host, env.KUBERNETES_SERVICE_PORT ?? "443", dir);

  const files = (env.KUBECONFIG ?? "").split(delimiter).filter((f) => f !== "");
  if (files.length === 0 && env.HOME && existsSync(join(env.HOME, ".kube", "config"))) {
    files.push(join(env.HOME, ".kube", "config"));
  }
  if (files.length === 0) {
    throw new Error(
      "no Kubernetes API configuration: not in a cluster (no service account token) and no KUBECONFIG or ~/.kube/config",
    );
  }
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(files[0]!);
  for (const file of files.slice(1)) {
    const more = new k8s.KubeConfig();
    more.loadFromFile(file);
    kc.mergeConfig(more);
  }
  return {
    kubeConfig: kc,
    source: "kubeconfig",
    namespace: kc.getContextObject(kc.getCurrentContext())?.namespace,
  };
}

function inCluster(host: string, port: string, dir: string): LoadedKubeConfig {
  const kc = new k8s.KubeConfig();
  const server = `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const nsFile = join(dir, "namespace");
  const namespace = existsSync(nsFile) ? readFileSync(nsFile, "utf8").trim() : undefined;
  kc.loadFromOptions({
    clusters: [{ name: "in-cluster", server, caFile: join(dir, "ca.crt"), skipTLSVerify: false }],
    // The tokenFile provider re-reads the file, so projected (rotating) tokens keep working.
    users: [
      {
        name: "service-account",
        authProvider: { name: "tokenFile", config: { tokenFile: join(dir, "token") } },
      },
    ],
    contexts: [{ name: "in-cluster", cluster: "in-cluster", user: "service-account", namespace }],
    currentContext: "in-cluster",
  });
  return { kubeConfig: kc, source: "in-cluster", namespace };
}
