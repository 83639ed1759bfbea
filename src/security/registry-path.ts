// The registry's path: NSM's registry messages have no Path field, so it travels as JSON in the `path`
// metadata header ({"Index":n,"PathSegments":[{"token":…}]}), updated by each server as sdk's registry
// updatepath does, and the SPIFFE IDs along it become the entry's path_ids. client_allowed binds a
// name to the identity that first registered it.
import type { Metadata } from "@grpc/grpc-js";
import { decodeToken } from "./token.js";

export const PATH_HEADER = "path";

export interface RegistryPath {
  index: number;
  /** The segments' tokens: that is all the registry's path carries. */
  tokens: string[];
}

export const EMPTY_REGISTRY_PATH: RegistryPath = Object.freeze({ index: 0, tokens: [] }) as RegistryPath;

/** NSM's JSON: capitalised keys, `null` for no segments. */
export function encodeRegistryPath(path: RegistryPath): string {
  const segments = path.tokens.length ? path.tokens.map((token) => ({ token })) : null;
  return JSON.stringify({ Index: path.index, PathSegments: segments });
}

export function decodeRegistryPath(text: string | undefined): RegistryPath | undefined {
  if (!text) return undefined;
  try {
    const raw = JSON.parse(text) as { Index?: unknown; PathSegments?: unknown };
    const index = typeof raw.Index === "number" && raw.Index >= 0 ? Math.floor(raw.Index) : 0;
    const list = Array.isArray(raw.PathSegments) ? raw.PathSegments : [];
    const tokens = list.map((s) =>
      typeof (s as { token?: unknown })?.token === "string" ? (s as { token: string }).token : "",
    );
    return { index, tokens };
  } catch {
    return undefined;
  }
}

/** The last `path` value of some metadata (as NSM's server reads it). */
export function registryPathOf(metadata: Metadata | undefined): RegistryPath | undefined {
  const values = metadata?.get(PATH_HEADER) ?? [];
  return decodeRegistryPath(values.length ? String(values[values.length - 1]) : undefined);
}

/**
 * sdk's registry updatepath at a server: the caller's token goes in at the index, ours after it.
 * Throws when the index points past the path. The returned index is this server's.
 */
export function updateRegistryPath(path: RegistryPath, callerToken: string, ownToken: string): RegistryPath {
  if (path.tokens.length === 0) return { index: 1, tokens: [callerToken, ownToken] };
  if (path.index + 1 > path.tokens.length)
    throw new Error(
      `path: Index+1==${path.index + 1} should be less or equal len(PathSegments)==${path.tokens.length}`,
    );
  const tokens = [...path.tokens];
  tokens[path.index] = callerToken;
  const index = path.index + 1;
  tokens[index] = ownToken;
  return { index, tokens };
}

/** The SPIFFE IDs along a path (unverified `sub`s; the policies verify them): NSM's path_ids. */
export const pathIdsOf = (tokens: readonly string[]): string[] =>
  tokens.map((t) => decodeToken(t)?.sub ?? "");

/**
 * NSM's client_allowed: a name belongs to the SPIFFE ID that first registered it (path_ids[0]) while
 * its entry lives; a new name is anyone's. Returns why it denies, or undefined.
 */
export function clientAllowed(
  resourceId: string,
  resourceName: string,
  registered: ReadonlyMap<string, readonly string[]>,
): string | undefined {
  const owner = registered.get(resourceName)?.[0];
  if (owner === undefined || owner === resourceId) return undefined;
  return `${JSON.stringify(resourceName)} is registered by another identity; ${JSON.stringify(resourceId)} may not change it`;
}
