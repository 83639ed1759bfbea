// A Register or Unregister as NSM's registry client makes it (grpcmetadata + authorize): the registry's
// path goes out in the `path` header and comes back in the answer's, and with path tokens on the path
// that comes back must pass the client policies (the registry's segment signed by its certificate).
import * as grpc from "@grpc/grpc-js";
import { tlsPeerOf } from "../grpc/caller.js";
import { checkPath, type PathCheckOptions } from "../security/path-check.js";
import { CLIENT_POLICIES } from "../security/policies.js";
import {
  encodeRegistryPath,
  PATH_HEADER,
  type RegistryPath,
  registryPathOf,
} from "../security/registry-path.js";
import type { UnaryMethod } from "../util/grpc.js";

export type RegistryAuthorize = Omit<PathCheckOptions, "policies">;

/** Calls `method` with `path`; resolves with the answer and the path the registry sent back (else `path`). */
export async function callWithPath<Req, Res>(
  client: grpc.Client,
  method: UnaryMethod<Req, Res>,
  request: Req,
  o: { timeoutMs: number; path: RegistryPath; authorize?: RegistryAuthorize },
): Promise<{ response: Res; path: RegistryPath }> {
  const metadata = new grpc.Metadata();
  metadata.set(PATH_HEADER, encodeRegistryPath(o.path));
  let back: RegistryPath | undefined;
  let handle: grpc.ClientUnaryCall | undefined;
  const response = await new Promise<Res>((resolve, reject) => {
    handle = method.call(client, request, metadata, { deadline: Date.now() + o.timeoutMs }, (err, res) =>
      err ? reject(err) : resolve(res),
    );
    handle.on("metadata", (m: grpc.Metadata) => {
      back = registryPathOf(m);
    });
  });
  if (o.authorize && back) {
    const segments = back.tokens.map((token) => ({ token }));
    await checkPath(segments, back.index, handle && tlsPeerOf(handle), {
      ...o.authorize,
      policies: CLIENT_POLICIES,
      what: "registry",
    });
  }
  return { response, path: back ?? o.path };
}
