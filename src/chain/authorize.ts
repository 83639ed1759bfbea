// NSM's authorize server: the path up to our segment must pass the server policies (tokens valid,
// chained, not expired, the caller's token signed by the certificate it presented, and every token
// whose signer we know signed by it), on Request and Close alike. Runs right after updatetoken.
import type { Connection } from "../grpc/gen/networkservice/connection.js";
import { checkPath, type PathCheckOptions } from "../security/path-check.js";
import { SERVER_POLICIES } from "../security/policies.js";
import type { CallContext, Element } from "./types.js";

export type AuthorizeOptions = Omit<PathCheckOptions, "policies"> & {
  policies?: PathCheckOptions["policies"];
};

/** Checks the path of `conn` (our segment last, as updatepath leaves it); sets ctx.pathIds and ctx.identity. */
export async function authorizeConnection(
  conn: Connection,
  ctx: CallContext,
  o: AuthorizeOptions,
): Promise<void> {
  const segments = conn.path?.pathSegments ?? [];
  ctx.pathIds = await checkPath(segments, segments.length - 1, ctx.caller, {
    ...o,
    policies: o.policies ?? SERVER_POLICIES,
  });
  // The originator: its token chained to the caller's, which the caller's certificate signed.
  if (segments.length > 1) ctx.identity = ctx.pathIds[0];
}

export function authorize(o: AuthorizeOptions): Element {
  return (next) => ({
    request: async (req, ctx) => {
      await authorizeConnection(req.connection!, ctx, o);
      return next.request(req, ctx);
    },
    close: async (conn, ctx) => {
      await authorizeConnection(conn, ctx, o);
      return next.close(conn, ctx);
    },
  });
}
