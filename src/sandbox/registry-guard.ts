// The sandbox registry as NSM's registry servers are, with path tokens on: Register and Unregister
// read the `path` header and the caller's token, put their own token after it (registry updatepath),
// apply the server policies and client_allowed (a name stays with the identity that registered it),
// store the path's SPIFFE IDs as the entry's path_ids and send the path back in the `path` header.
import * as grpc from "@grpc/grpc-js";
import { RequestError } from "../chain/errors.js";
import { presentedOn, tlsPeerOf } from "../grpc/caller.js";
import type { NetworkServiceEndpointRegistryServer } from "../grpc/gen/registry/registry.js";
import { toServiceError } from "../grpc/status.js";
import { checkPath } from "../security/path-check.js";
import type { PathSecurity } from "../security/path-security.js";
import { SERVER_POLICIES } from "../security/policies.js";
import {
  clientAllowed,
  EMPTY_REGISTRY_PATH,
  encodeRegistryPath,
  PATH_HEADER,
  pathIdsOf,
  registryPathOf,
  updateRegistryPath,
} from "../security/registry-path.js";
import { readTokenHeaders } from "../security/token-headers.js";

type Call = grpc.ServerUnaryCall<{ name: string }, unknown>;

/** Checks one Register or Unregister; returns the entry's path_ids and the header to answer with. */
async function check(
  call: Call,
  security: PathSecurity,
  pathIdsOfEntry: (name: string) => readonly string[] | undefined,
): Promise<{ pathIds: string[]; header: grpc.Metadata }> {
  const incoming = registryPathOf(call.metadata) ?? EMPTY_REGISTRY_PATH;
  const header = readTokenHeaders(call.metadata);
  const caller = tlsPeerOf(call);
  const own = await security.generate(
    caller && { spiffeId: caller.spiffeId, notAfter: new Date(caller.certificate.validTo) },
    presentedOn(call),
  );
  let path: ReturnType<typeof updateRegistryPath>;
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
  const name = call.request.name;
  const owners = new Map<string, readonly string[]>();
  const known = pathIdsOfEntry(name);
  if (known?.length) owners.set(name, known);
  const denied = clientAllowed(ids[0] ?? "", name, owners);
  if (denied)
    throw new RequestError(
      "PERMISSION_DENIED",
      `registry: authorization policy client_allowed denied: ${denied}`,
    );
  const answer = new grpc.Metadata();
  answer.set(PATH_HEADER, encodeRegistryPath({ index: incoming.index, tokens: path.tokens }));
  return { pathIds: pathIdsOf(path.tokens), header: answer };
}

/** `server` behind NSM's registry checks; `pathIdsOfEntry` gives a live entry's path_ids (its owner first). */
export function guardRegistry(
  server: NetworkServiceEndpointRegistryServer,
  security: PathSecurity,
  pathIdsOfEntry: (name: string) => readonly string[] | undefined,
): NetworkServiceEndpointRegistryServer {
  return {
    register(call, callback) {
      check(call, security, pathIdsOfEntry).then(
        ({ pathIds, header }) => {
          call.request.pathIds = pathIds;
          call.sendMetadata(header);
          server.register(call, callback);
        },
        (e) => callback(toServiceError(e) as grpc.ServiceError),
      );
    },
    find: (call) => server.find(call),
    unregister(call, callback) {
      check(call, security, pathIdsOfEntry).then(
        ({ header }) => {
          call.sendMetadata(header);
          server.unregister(call, callback);
        },
        (e) => callback(toServiceError(e) as grpc.ServiceError),
      );
    },
  };
}
