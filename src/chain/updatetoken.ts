// NSM's updatetoken: the caller's segment takes the token and expiry from the caller's per-RPC headers,
// and our own segment (the last, after updatepath) gets a token we sign for the caller. It only stamps
// tokens; authorize, right after it, checks them.
import type { Connection } from "../grpc/gen/networkservice/connection.js";
import type { TokenGenerator } from "../security/token.js";
import { RequestError } from "./errors.js";
import type { CallContext, Element } from "./types.js";

export interface UpdateTokenOptions {
  generate: TokenGenerator;
  /** NSM_MAX_TOKEN_LIFETIME: the connection's lifetime is the caller's token expiry, at most this. */
  maxTokenLifetimeMs: number;
  now?: () => number;
}

/** Returns the connection with the caller's and our segment's tokens in place; sets ctx.lifetimeMs from the caller's. */
export async function updateToken(
  conn: Connection,
  ctx: CallContext,
  o: UpdateTokenOptions,
): Promise<Connection> {
  const segments = [...(conn.path?.pathSegments ?? [])];
  const ours = segments.length - 1;
  if (ours < 0) throw new RequestError("INTERNAL", "updatetoken: the path has no segment of ours");
  const header = ctx.callerToken;
  if (ours >= 1 && header && typeof header !== "string") {
    // Otherwise NSM only warns and keeps the body's token; the policies then judge it.
    segments[ours - 1] = { ...segments[ours - 1]!, token: header.token, expires: header.expires };
    const left = header.expires.getTime() - (o.now ?? Date.now)();
    ctx.lifetimeMs = Math.max(0, Math.min(left, o.maxTokenLifetimeMs));
  }
  const peer = ctx.caller && {
    spiffeId: ctx.caller.spiffeId,
    notAfter: new Date(ctx.caller.certificate.validTo),
  };
  // Signed with the key of the certificate the caller sees on this connection (older after a rotation).
  const signed = await o.generate(peer, ctx.presented);
  segments[ours] = { ...segments[ours]!, token: signed.token, expires: signed.expires };
  return { ...conn, path: { index: conn.path!.index, pathSegments: segments } };
}

export function updatetoken(o: UpdateTokenOptions): Element {
  return (next) => ({
    request: async (req, ctx) =>
      next.request({ ...req, connection: await updateToken(req.connection!, ctx, o) }, ctx),
    close: async (conn, ctx) => next.close(await updateToken(conn, ctx, o), ctx),
  });
}
