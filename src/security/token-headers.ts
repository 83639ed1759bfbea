// The per-RPC token headers NSM sends on every call (nsm-client-token, nsm-client-token-expires) and
// the registry's `path` header. Expiry is written as Go's RFC3339Nano, which NSM's servers parse.
import type { Metadata } from "@grpc/grpc-js";
import type { SignedToken } from "./token.js";

export const TOKEN_HEADER = "nsm-client-token";
export const TOKEN_EXPIRES_HEADER = "nsm-client-token-expires";

/** Go's RFC3339Nano in UTC: the fraction without trailing zeros, and none at all when it is zero. */
export function formatExpires(date: Date): string {
  const iso = date.toISOString(); // YYYY-MM-DDThh:mm:ss.mmmZ
  const fraction = iso.slice(20, 23).replace(/0+$/, "");
  return `${iso.slice(0, 19)}${fraction ? `.${fraction}` : ""}Z`;
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** Parses RFC3339 with up to 9 fraction digits (Date keeps milliseconds); undefined if it is not that. */
export function parseExpires(text: string): Date | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const ms = (m[2] ?? "").padEnd(3, "0").slice(0, 3);
  const date = new Date(`${m[1]}.${ms}${m[3]}`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Puts a token and its expiry on outgoing metadata. */
export function setTokenHeaders(metadata: Metadata, signed: SignedToken): void {
  metadata.set(TOKEN_HEADER, signed.token);
  metadata.set(TOKEN_EXPIRES_HEADER, formatExpires(signed.expires));
}

/**
 * Reads the caller's token from incoming metadata as NSM does: each header exactly once, the expiry
 * parseable. Returns the reason when it cannot (NSM only logs it and goes on with the body's token).
 */
export function readTokenHeaders(metadata: Metadata | undefined): SignedToken | string {
  if (!metadata) return "no metadata";
  const one = (key: string): string | undefined => {
    const values = metadata.get(key);
    return values.length === 1 ? String(values[0]) : undefined;
  };
  const token = one(TOKEN_HEADER);
  const expiresText = one(TOKEN_EXPIRES_HEADER);
  if (token === undefined)
    return `values of '${TOKEN_HEADER}' has wrong length ${metadata.get(TOKEN_HEADER).length}, expected 1`;
  if (expiresText === undefined)
    return `values of '${TOKEN_EXPIRES_HEADER}' has wrong length ${metadata.get(TOKEN_EXPIRES_HEADER).length}, expected 1`;
  const expires = parseExpires(expiresText);
  if (!expires) return `${TOKEN_EXPIRES_HEADER}: "${expiresText}" is not an RFC 3339 time`;
  return { token, expires };
}
