// The Kubernetes API calls vl3-nse makes, declared next to the code that makes them. The RBAC Role in
// deploy/base is checked against this list, and the tests check the code makes no call outside it.

export type Verb = "get" | "list" | "watch" | "create" | "update" | "patch" | "delete";

export interface ApiCall {
  /** API group; "" is the core group. */
  group: string;
  resource: string;
  verb: Verb;
}

/** An RBAC PolicyRule, as a Role lists it. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: Verb[];
  resourceNames?: string[];
}

const VERB_ORDER: Verb[] = ["get", "list", "watch", "create", "update", "patch", "delete"];

/** One rule per (group, resource), verbs in a stable order: the least-privilege Role for these calls. */
export function policyRules(calls: readonly ApiCall[]): PolicyRule[] {
  const byResource = new Map<string, { group: string; resource: string; verbs: Set<Verb> }>();
  for (const c of calls) {
    const key = `${c.group}/${c.resource}`;
    const entry = byResource.get(key) ?? { group: c.group, resource: c.resource, verbs: new Set<Verb>() };
    entry.verbs.add(c.verb);
    byResource.set(key, entry);
  }
  return [...byResource.values()]
    .sort((a, b) => `${a.group}/${a.resource}`.localeCompare(`${b.group}/${b.resource}`))
    .map((e) => ({
      apiGroups: [e.group],
      resources: [e.resource],
      verbs: VERB_ORDER.filter((v) => e.verbs.has(v)),
    }));
}

/** Whether an error from client-node is an API answer with this HTTP status (404, 409, ...). */
export function isStatus(err: unknown, code: number): boolean {
  if (typeof err !== "object" || err === null) return false;
  const e = err as { code?: unknown; statusCode?: unknown };
  return e.code === code || e.statusCode === code;
}
