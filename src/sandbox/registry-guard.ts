// The sandbox registry as NSM's registry servers are, with path tokens on: Register and Unregister
// read the `path` header and the caller's token, put their own token after it (registry updatepath),
// apply the server policies and client_allowed (a name stays with the identity that registered it),
// store the path's SPIFFE IDs as the entry's path_ids and send the path back in the `path` header.
// The NetworkService side is checked the same way but binds no name: every endpoint of a vL3 registers
// the same service.
import type * as grpc from "@grpc/grpc-js";
import { RequestError } from "../chain/errors.js";
import type {
  NetworkServiceEndpointRegistryServer,
  NetworkServiceRegistryServer,
} from "../grpc/gen/registry/registry.js";
import { toServiceError } from "../grpc/status.js";
import type { PathSecurity } from "../security/path-security.js";
import { clientAllowed, pathIdsOf } from "../security/registry-path.js";
import { enterRegistryHop } from "./registry-hop.js";

type Call = grpc.ServerUnaryCall<{ name: string }, unknown>;

/** Checks one Register or Unregister; returns the entry's path_ids and the header to answer with. */
async function check(
  call: Call,
  security: PathSecurity,
  pathIdsOfEntry?: (name: string) => readonly string[] | undefined,
): Promise<{ pathIds: string[]; header: grpc.Metadata }> {
  const hop = await enterRegistryHop(call, security);
  const name = call.request.name;
  const known = pathIdsOfEntry?.(name);
  const owners = new Map<string, readonly string[]>(known?.length ? [[name, known]] : []);
  const denied = clientAllowed(hop.ids[0] ?? "", name, owners);
  if (denied)
    throw new RequestError(
      "PERMISSION_DENIED",
      `registry: authorization policy client_allowed denied: ${denied}`,
    );
  return { pathIds: pathIdsOf(hop.path.tokens), header: hop.answer(hop.path) };
}

interface Guarded<Req, Res, Gone> {
  register: grpc.handleUnaryCall<Req, Res>;
  unregister: grpc.handleUnaryCall<Req, Gone>;
}

function guarded<Req extends { name: string; pathIds: string[] }, Res, Gone>(
  server: Guarded<Req, Res, Gone>,
  security: PathSecurity,
  pathIdsOfEntry?: (name: string) => readonly string[] | undefined,
): Guarded<Req, Res, Gone> {
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

/** `server` behind NSM's registry checks; `pathIdsOfEntry` gives a live entry's path_ids (its owner first). */
export function guardRegistry(
  server: NetworkServiceEndpointRegistryServer,
  security: PathSecurity,
  pathIdsOfEntry: (name: string) => readonly string[] | undefined,
): NetworkServiceEndpointRegistryServer {
  return {
    ...guarded(server, security, pathIdsOfEntry),
    find: (call) => server.find(call),
  };
}

/** The NetworkService registry behind the token checks (no client_allowed: a service is everyone's). */
export function guardServiceRegistry(
  server: NetworkServiceRegistryServer,
  security: PathSecurity,
): NetworkServiceRegistryServer {
  return {
    ...guarded(server, security),
    find: (call) => server.find(call),
  };
}
