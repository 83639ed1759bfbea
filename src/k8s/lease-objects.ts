// The Lease objects of prefix claims: a fresh claim, a renewal or takeover, and how to read one.
import * as k8s from "@kubernetes/client-node";
import { parseCidr } from "../ipam/cidr.js";
import * as names from "./lease-names.js";

export type Lease = k8s.V1Lease;

/** Who claims: the service, the holder identity, the namespace and the lease duration. */
export interface Claimant {
  service: string;
  id: string;
  namespace: string;
  durationSeconds: number;
}

export function freshLease(c: Claimant, name: string, prefix: string): Lease {
  const now = new k8s.V1MicroTime();
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: {
      name,
      namespace: c.namespace,
      labels: {
        [names.MANAGED_BY_LABEL]: names.MANAGED_BY,
        [names.SERVICE_LABEL]: names.serviceSlug(c.service),
      },
      annotations: { [names.PREFIX_ANNOTATION]: prefix, [names.SERVICE_ANNOTATION]: c.service },
    },
    spec: {
      holderIdentity: c.id,
      leaseDurationSeconds: c.durationSeconds,
      acquireTime: now,
      renewTime: now,
      leaseTransitions: 0,
    },
  };
}

/** The lease with `c` as holder and a fresh renewTime (keeping its resourceVersion); a takeover counts a transition. */
export function renewedLease(c: Claimant, l: Lease, takeover: boolean): Lease {
  const now = new k8s.V1MicroTime();
  const spec = { ...l.spec, holderIdentity: c.id, leaseDurationSeconds: c.durationSeconds, renewTime: now };
  if (takeover)
    Object.assign(spec, { acquireTime: now, leaseTransitions: (l.spec?.leaseTransitions ?? 0) + 1 });
  return { ...l, apiVersion: "coordination.k8s.io/v1", kind: "Lease", spec };
}

export function leasePrefix(l: Lease): string | undefined {
  return l.metadata?.annotations?.[names.PREFIX_ANNOTATION];
}

/** The lease's prefix if it is a /prefixLen of the pool (a lease from another configuration is not). */
export function fittingPrefix(l: Lease, pool: string, prefixLen: number): string | undefined {
  const prefix = leasePrefix(l);
  if (!prefix) return undefined;
  try {
    const cidr = parseCidr(prefix);
    return cidr.bits === prefixLen && parseCidr(pool).containsCidr(cidr) ? cidr.toString() : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the holder stopped renewing: renewTime + leaseDurationSeconds is past. */
export function isLapsed(l: Lease, now: number, defaultSeconds: number): boolean {
  const at = l.spec?.renewTime ?? l.spec?.acquireTime;
  if (!at) return true;
  // client-node leaves MicroTime as the API server's string; a Date works the same here.
  const renewed = new Date(at as unknown as string).getTime();
  return now > renewed + (l.spec?.leaseDurationSeconds ?? defaultSeconds) * 1000;
}
