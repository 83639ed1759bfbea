// One hop of NSM's registry chain with path tokens on (grpcmetadata → updatepath → authorize): the
// caller's `path` header and token go in, our own token after them, the server policies run; a hop that
// passes the call on sends the path onward in its own `path` header (our token as per-RPC credentials),
// checks what comes back with the client policies and answers with the caller's view of it.
import * as grpc from "@grpc/grpc-js";
import { RequestError } from "../chain/errors.js";
import { presentedOn, tlsPeerOf } from "../grpc/caller.js";
import { callWithPath } from "../registry/path-call.js";
import { checkPath } from "../security/path-check.js";
import type { PathSecurity } from "../security/path-security.js";
import { SERVER_POLICIES } from "../security/policies.js";
import {
  EMPTY_REGISTRY_PATH,
  encodeRegistryPath,
  PATH_HEADER,
  type RegistryPath,
  registryPathOf,
  updateRegistryPath,
} from "../security/registry-path.js";
import { readTokenHeaders } from "../security/token-headers.js";
import type { UnaryMethod } from "../util/grpc.js";

export interface RegistryHop {
  /** The path with our segment, at our index: what a forwarding hop sends on. */
  path: RegistryPath;
  /** The hops' SPIFFE IDs up to ours (NSM's path_ids): the registrant first. */
  ids: string[];
  /** The `path` answer header: `back` (the path as it came back) at the caller's index. */
  answer(back: RegistryPath): grpc.Metadata;
}

type ServerCall = grpc.ServerUnaryCall<unknown, unknown>;

/** sdk's registry updatepath and server authorize on an incoming Register or Unregister. */
export async function enterRegistryHop(call: ServerCall, security: PathSecurity): Promise<RegistryHop> {
  const incoming = registryPathOf(call.metadata) ?? EMPTY_REGISTRY_PATH;
  const header = readTokenHeaders(call.metadata);
  const caller = tlsPeerOf(call);
  const own = await security.generate(
    caller && { spiffeId: caller.spiffeId, notAfter: new Date(caller.certificate.validTo) },
    presentedOn(call),
  );
  let path: RegistryPath;
  try {
    path = updateRegistryPath(incoming, typeof header === "string" ? "" : header.token, own.token);
  } catch (e) {
    throw new RequestError("INVALID_ARGUMENT", (e as Error).message);
  }
  const left = path.tokens.slice(0, path.index + 1).map((token) => ({ token }));
  const ids = await checkPath(left, path.index, caller, {
    ...security,
    policies: SERVER_POLICIES,
    what: "registry",
  });
  return {
    path,
    ids,
    answer: (back) => {
      const metadata = new grpc.Metadata();
      metadata.set(PATH_HEADER, encodeRegistryPath({ index: incoming.index, tokens: back.tokens }));
      return metadata;
    },
  };
}

/**
 * A forwarding hop's Register or Unregister: stamped and checked here, sent on with the path, the
 * answer's path checked by the client policies and handed back to the caller in its `path` header.
 * Without path tokens the call goes on as it came (no path of ours).
 */
export async function forwardRegistryCall<Req, Res>(
  call: ServerCall,
  security: PathSecurity | undefined,
  client: grpc.Client,
  method: UnaryMethod<Req, Res>,
  request: Req,
  timeoutMs: number,
): Promise<Res> {
  const hop = security && (await enterRegistryHop(call, security));
  const { response, path } = await callWithPath(client, method, request, {
    timeoutMs,
    path: hop?.path ?? registryPathOf(call.metadata) ?? EMPTY_REGISTRY_PATH,
    authorize: security,
  });
  if (hop) call.sendMetadata(hop.answer(path));
  return response;
}
