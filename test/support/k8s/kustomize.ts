// Builds a kustomization offline with `kubectl kustomize` (KUBECTL overrides the binary) and parses
// the objects. kubectl 1.20 (Debian's kubernetes-client, kustomize 2.0.3) and current ones both work.
import { spawnSync } from "node:child_process";
import YAML from "yaml";

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

const KUBECTL = process.env.KUBECTL ?? "kubectl";

/** Whether kubectl can run here (tests that need it skip, saying so, when it cannot). */
export const hasKubectl =
  spawnSync(KUBECTL, ["version", "--client"], { encoding: "utf8", timeout: 20_000 }).status === 0;

export function kustomize(dir: string): K8sObject[] {
  const r = spawnSync(KUBECTL, ["kustomize", dir], { encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${r.stderr}`);
  return YAML.parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}
