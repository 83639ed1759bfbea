// NSM's authorize server: the path up to our segment must pass the server policies (tokens valid,
// chained, not expired, the caller's token signed by the certificate it presented, and every token
// whose signer we know signed by it), on Request and Close alike. Runs right after updatetoken.
import type { Connection } from "../grpc/gen/networkservice/connection.js";
import { checkPathProven, type PathCheckOptions } from "../security/path-check.js";
import { SERVER_POLICIES } from "../security/policies.js";
import type { CallContext, Element } from "./types.js";

export type AuthorizeOptions = Omit<PathCheckOptions, "policies"> & {
  policies?: PathCheckOptions["policies"];
};

/**
 * Checks the path of `conn` (our segment last, as updatepath leaves it); sets ctx.pathIds, ctx.origin
 * (segment 0's identity, only if proven) and ctx.identity (the origin if proven, else the caller's).
 */
export async function authorizeConnection(
  conn: Connection,
  ctx: CallContext,
  o: AuthorizeOptions,
): Promise<void> {
  const segments = conn.path?.pathSegments ?? [];
  const index = segments.length - 1;
  const { ids, proven } = await checkPathProven(segments, index, ctx.caller, {
    ...o,
    policies: o.policies ?? SERVER_POLICIES,
  });
  ctx.pathIds = ids;
  if (index < 1) return;
  // A decoded `sub` is a claim anyone can sign; trust segment 0's only when its key proves it, else
  // fall back to the caller's, which prev_token_signed bound to its TLS certificate.
  ctx.origin = proven[0] ? ids[0] : undefined;
  ctx.identity = ctx.origin ?? ids[index - 1];
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
