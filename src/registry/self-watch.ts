// A watch on the endpoint's own registry entry. A registry that restarts (and so forgot every
// entry) breaks the stream; one that expired or deleted the entry says so. Either way the entry is
// gone now, long before the next refresh would notice.
import type * as grpc from "@grpc/grpc-js";
import {
  NetworkServiceEndpoint,
  type NetworkServiceEndpointRegistryClient,
  type NetworkServiceEndpointResponse,
} from "../grpc/gen/registry/registry.js";
import { describeError } from "../util/grpc.js";

export interface EntryLost {
  why: string;
  /** The registry said it deleted the entry (rather than the stream breaking). */
  deleted: boolean;
  /** The gRPC status of a broken stream, if any. */
  code?: grpc.status;
}

/** Calls `onLost` at most once; the returned function cancels the watch quietly. */
export function watchOwnEntry(
  client: NetworkServiceEndpointRegistryClient,
  name: string,
  onLost: (lost: EntryLost) => void,
): () => void {
  const query = NetworkServiceEndpoint.fromPartial({ name });
  const stream = client.find({ networkServiceEndpoint: query, watch: true });
  let open = true;
  const cancel = () => {
    if (!open) return;
    open = false;
    stream.removeAllListeners("data");
    stream.on("error", () => {}); // the cancellation itself arrives as an error
    stream.cancel();
  };
  const lost = (l: EntryLost) => {
    if (!open) return;
    cancel();
    onLost(l);
  };
  stream.on("data", (r: NetworkServiceEndpointResponse) => {
    // A registry may match names loosely (NSM's does by substring): only our own entry counts.
    if (r.deleted && r.networkServiceEndpoint?.name === name)
      lost({ why: "deleted by the registry", deleted: true });
  });
  stream.on("error", (err: grpc.ServiceError) =>
    lost({ why: describeError(err), deleted: false, code: err.code }),
  );
  stream.on("end", () => lost({ why: "watch ended", deleted: false }));
  return cancel;
}
