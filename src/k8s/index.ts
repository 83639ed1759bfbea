// What the runtime uses of Kubernetes, built from the configuration: the watched ConfigMap, the
// Lease prefix source and the pod's Event recorder. Loaded lazily, only when configured.
import type * as k8s from "@kubernetes/client-node";
import type { Config, Overrides } from "../config/config.js";
import type { Logger } from "../log.js";
import type { PrefixIdentity, PrefixSource } from "../prefix/types.js";
import type { ApiCall } from "./api-calls.js";
import { CONFIGMAP_API_CALLS, ConfigMapSource } from "./configmap-source.js";
import { EVENT_API_CALLS, EventRecorder } from "./events.js";
import { loadKubeConfig } from "./kubeconfig.js";
import { KubernetesPrefixSource, LEASE_API_CALLS } from "./lease-prefix-source.js";

export { ConfigMapSource } from "./configmap-source.js";
export { EventRecorder, eventForSignal } from "./events.js";
export { loadKubeConfig } from "./kubeconfig.js";
export { KubernetesPrefixSource } from "./lease-prefix-source.js";

/** Every API call vl3-nse makes; deploy/base's Role grants exactly these (checked by test/unit/deploy). */
export const K8S_API_CALLS: readonly ApiCall[] = [
  ...LEASE_API_CALLS,
  ...CONFIGMAP_API_CALLS,
  ...EVENT_API_CALLS,
];

let cached: k8s.KubeConfig | undefined;
function kubeConfig(): k8s.KubeConfig {
  cached ??= loadKubeConfig().kubeConfig;
  return cached;
}

/** Reads NSM_CONFIGMAP and watches it; `onChange` gets each later valid edit, errors are logged. */
export async function watchConfigMap(
  ref: { namespace: string; name: string },
  log: Logger,
  onChange: (overrides: Overrides) => void,
): Promise<{ overrides: Overrides; stop(): void }> {
  const source = new ConfigMapSource({
    kubeConfig: kubeConfig(),
    ...ref,
    onChange,
    onError: (err) =>
      log.warn({ configmap: `${ref.namespace}/${ref.name}`, err: err.message }, "configuration not applied"),
    log,
  });
  const overrides = await source.start();
  return { overrides, stop: () => source.stop() };
}

/** NSM_PREFIX_SOURCE=kubernetes: Leases in POD_NAMESPACE, held by the node (or endpoint) name. */
export function kubernetesPrefixSource(config: Config, identity: PrefixIdentity, log: Logger): PrefixSource {
  return new KubernetesPrefixSource({
    kubeConfig: kubeConfig(),
    namespace: config.kubeNamespace,
    service: config.serviceNames[0]!,
    identity,
    log,
  });
}

/** Events on this pod; undefined outside a pod (no POD_NAME). `podUid` is the downward API's metadata.uid. */
export function podEventRecorder(config: Config, log: Logger, podUid?: string): EventRecorder | undefined {
  if (!config.podName) return undefined;
  return new EventRecorder({
    kubeConfig: kubeConfig(),
    namespace: config.kubeNamespace,
    podName: config.podName,
    podUid,
    nodeName: config.nodeName,
    log,
  });
}
