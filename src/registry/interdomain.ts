// Qualified names, `name@domain`, with NSM v1's rules: a name is interdomain iff it holds an `@`; the
// target is left of the FIRST `@`, the domain everything right of it. This is the only code that
// splits or joins such names (network services and endpoints alike); everything else asks it.

/** Whether `name` names something in another domain (it contains `@`). */
export function isInterdomain(name: string): boolean {
  return name.includes("@");
}

/** The part before the first `@` (the whole name when there is none): `svc@a@b` → `svc`. */
export function target(name: string): string {
  const at = name.indexOf("@");
  return at < 0 ? name : name.slice(0, at);
}

/** Everything after the first `@`, or "" for a local name: `svc@a@b` → `a@b` (no such domain). */
export function domain(name: string): string {
  const at = name.indexOf("@");
  return at < 0 ? "" : name.slice(at + 1);
}

/** `target@domain`; a bare target when `domainName` is empty. */
export function join(targetName: string, domainName: string): string {
  return domainName === "" ? targetName : `${targetName}@${domainName}`;
}

/**
 * The identity of a name seen from `home` (this endpoint's own domain, "" when it has none): a
 * qualified name stays as it is, a bare one is in `home`. Both sides of a pair use identities, so
 * the peer rule, the peer mark and the peer actors agree across domains.
 */
export function qualify(name: string, home: string): string {
  return isInterdomain(name) ? name : join(name, home);
}

/** How to address an identity from `home`: bare if it lives there (the local registry knows it so). */
export function localForm(identity: string, home: string): string {
  return home !== "" && domain(identity) === home ? target(identity) : identity;
}

/**
 * The network service to ask a peer for: `service`'s target in the peer's domain, as `home` says it.
 * `svc` to `nse-b@cluster2` from cluster1 is `svc@cluster2`; to `nse-c@floating`, `svc@floating`.
 */
export function serviceOf(peer: string, service: string, home: string): string {
  const where = domain(peer) === "" ? domain(service) : domain(peer);
  return localForm(join(target(service), where), home);
}

/** Whether two service names are one service (`svc` and `svc@dom` both reach an NSE that serves `svc`). */
export function sameService(a: string, b: string): boolean {
  return target(a) === target(b);
}

/**
 * Why `value` is no usable domain, or undefined when it is one. The Go seed's loop appended each
 * remote to the same name (`svc@ip1@ip2`); a domain with an `@` is that mistake and is refused.
 */
export function domainProblem(value: string): string | undefined {
  if (value === "") return "is empty";
  if (value.includes("@")) return `"${value}" holds an @ (a name has one @domain: svc@a, then svc@b)`;
  if (/[\s,/]/.test(value) && !/^tcp:\/\/[^\s,]+$/.test(value))
    return `"${value}" is not a DNS name, an IP[:port] or tcp://ip:port`;
  return undefined;
}

/**
 * The names a vL3 service is watched under: the service as configured, and its target in each
 * remote domain (deduplicated, never the service's own domain twice). One PeerWatch each.
 */
export function watchedServices(service: string, remoteDomains: readonly string[]): string[] {
  const out = [service];
  for (const d of remoteDomains) {
    const name = join(target(service), d);
    if (d !== domain(service) && !out.includes(name)) out.push(name);
  }
  return out;
}
