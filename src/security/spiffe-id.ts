// SPIFFE IDs (spiffe://<trust-domain>/<path>): the one place that parses, prints and compares them, so
// mTLS peer checks, accepted-ID settings and path tokens all agree on what an ID and a trust domain are.
// Rules as the SPIFFE ID standard and go-spiffe state them: lower-case trust domain, no port, user info,
// query or fragment, path segments of [A-Za-z0-9._-] that are neither empty nor "." nor "..".

export class SpiffeIdError extends Error {
  override name = "SpiffeIdError";
  constructor(
    readonly input: string,
    detail: string,
    field?: string,
  ) {
    super(`${field ? `${field}: ` : ""}${JSON.stringify(input)} is not a SPIFFE ID: ${detail}`);
  }
}

export interface SpiffeId {
  /** e.g. "k8s.nsm" */
  readonly trustDomain: string;
  /** "" for a trust domain's own ID, else "/seg/seg…" */
  readonly path: string;
  /** The canonical form, spiffe://<trustDomain><path>. */
  readonly uri: string;
}

const SCHEME = "spiffe://";
const TD_CHARS = /^[a-z0-9._-]+$/;
const SEGMENT_CHARS = /^[A-Za-z0-9._-]+$/;
const MAX_LENGTH = 2048;

/** Parses a SPIFFE ID; `field` (a setting or message field) is named in the error. */
export function parseSpiffeId(input: string, field?: string): SpiffeId {
  const fail = (detail: string): never => {
    throw new SpiffeIdError(input, detail, field);
  };
  if (input.length > MAX_LENGTH) fail(`longer than ${MAX_LENGTH} characters`);
  if (!input.startsWith(SCHEME)) fail(`the scheme must be "spiffe://"`);
  const rest = input.slice(SCHEME.length);
  const slash = rest.indexOf("/");
  const trustDomain = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? "" : rest.slice(slash);
  checkTrustDomain(trustDomain, fail);
  if (path !== "") {
    for (const seg of path.slice(1).split("/")) {
      if (seg === "") fail("the path has an empty segment (or a trailing slash)");
      if (seg === "." || seg === "..") fail(`the path segment "${seg}" is not allowed`);
      if (!SEGMENT_CHARS.test(seg)) fail(`the path segment "${seg}" has a character outside [A-Za-z0-9._-]`);
    }
  }
  return { trustDomain, path, uri: SCHEME + trustDomain + path };
}

/** A trust domain name, given bare ("example.org") or as its ID ("spiffe://example.org"). */
export function parseTrustDomain(input: string, field?: string): string {
  const fail = (detail: string): never => {
    throw new SpiffeIdError(input, detail, field);
  };
  if (input.startsWith(SCHEME)) {
    const id = parseSpiffeId(input, field);
    if (id.path !== "") fail("a trust domain has no path");
    return id.trustDomain;
  }
  checkTrustDomain(input, fail);
  return input;
}

function checkTrustDomain(td: string, fail: (detail: string) => never): void {
  if (td === "") fail("the trust domain is empty");
  if (td.includes(":")) fail("a port is not allowed in the trust domain");
  if (td.includes("@")) fail("user info is not allowed");
  if (/[?#]/.test(td)) fail("a query or fragment is not allowed");
  if (!TD_CHARS.test(td))
    fail(`the trust domain "${td}" has a character outside [a-z0-9._-] (lower case only)`);
}

/** True when `id` is a valid SPIFFE ID (no exception). */
export function isSpiffeId(id: string): boolean {
  try {
    parseSpiffeId(id);
    return true;
  } catch {
    return false;
  }
}

/** Whether `id` belongs to `trustDomain` (bare or spiffe:// form). Invalid IDs belong nowhere. */
export function memberOf(id: string, trustDomain: string): boolean {
  try {
    return parseSpiffeId(id).trustDomain === parseTrustDomain(trustDomain);
  } catch {
    return false;
  }
}

/** IDs are compared in their canonical form; either invalid compares unequal. */
export function sameSpiffeId(a: string, b: string): boolean {
  try {
    return parseSpiffeId(a).uri === parseSpiffeId(b).uri;
  } catch {
    return false;
  }
}

/** The trust domain's own ID, spiffe://<td>, as the Workload API keys federated bundles. */
export const trustDomainId = (trustDomain: string): string => SCHEME + parseTrustDomain(trustDomain);
