// How a prefix claim is named in Kubernetes: one Lease per (service, prefix), so the API server's
// name uniqueness is what makes two endpoints unable to hold one prefix.
import { createHash } from "node:crypto";

export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY = "vl3-nse";
export const SERVICE_LABEL = "vl3.networkservicemesh.io/service";
/** The exact prefix and service (names and labels can only carry a cleaned-up form). */
export const PREFIX_ANNOTATION = "vl3.networkservicemesh.io/prefix";
export const SERVICE_ANNOTATION = "vl3.networkservicemesh.io/service";

const hash8 = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 8);

/**
 * The service as a DNS label and label value (lowercase letters, digits, '-'; at most 49). A name
 * that had to be changed gets a hash of the original, so "Svc" and "svc" never share leases.
 */
export function serviceSlug(service: string): string {
  const clean = service
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "");
  if (clean === service && clean.length <= 49) return clean;
  const head = clean.slice(0, 40).replace(/-+$/, "");
  return head ? `${head}-${hash8(service)}` : `svc-${hash8(service)}`;
}

/** "vl3-<service>-172-16-3-0-24": a valid DNS-1123 subdomain for IPv4 and IPv6 prefixes. */
export function leaseName(service: string, prefix: string): string {
  return `vl3-${serviceSlug(service)}-${prefix.toLowerCase().replace(/[.:/]/g, "-")}`;
}

/** The label selector that lists every lease of a service. */
export function serviceSelector(service: string): string {
  return `${MANAGED_BY_LABEL}=${MANAGED_BY},${SERVICE_LABEL}=${serviceSlug(service)}`;
}
