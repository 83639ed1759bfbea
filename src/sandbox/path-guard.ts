// What makes a sandbox hop (nsmgr, nsmgr proxy) an NSM hop with path tokens on: the same updatetoken
// and authorize the endpoint chain runs (the caller's token into its segment, ours signed, the server
// policies), and its own token on every call it forwards (NSM's per-RPC credentials).
import type * as grpc from "@grpc/grpc-js";
import { authorizeConnection } from "../chain/authorize.js";
import type { CallContext } from "../chain/types.js";
import { updatePath } from "../chain/updatepath.js";
import { updateToken } from "../chain/updatetoken.js";
import { callerContext } from "../grpc/caller.js";
import type { Connection } from "../grpc/gen/networkservice/connection.js";
import type { Transport } from "../grpc/transport.js";
import type { PathSecurity } from "../security/path-security.js";

export interface PathGuard {
  /** `conn` after updatepath, its tokens stamped and checked (unchanged with tokens off). */
  request(conn: Connection, call: grpc.ServerUnaryCall<unknown, unknown>): Promise<Connection>;
  /** A Close's path as a Request's would be (our segment last), its tokens stamped and checked. */
  close(conn: Connection, call: grpc.ServerUnaryCall<unknown, unknown>): Promise<Connection>;
  /** How this hop dials onward: with its tokens on every call when they are on. */
  outgoing(transport: Transport): Transport;
}

export function pathGuard(name: string, security: PathSecurity | undefined, lifetimeMs = 600_000): PathGuard {
  const stamp = async (conn: Connection, call: grpc.ServerUnaryCall<unknown, unknown>) => {
    if (!security) return conn;
    const ctx: CallContext = { deadline: Date.now() + 15_000, ...callerContext(call) };
    const stamped = await updateToken(conn, ctx, {
      generate: security.generate,
      maxTokenLifetimeMs: lifetimeMs,
    });
    await authorizeConnection(stamped, ctx, { verifier: security.verifier, keys: security.keys });
    return stamped;
  };
  return {
    request: stamp,
    close: (conn, call) => stamp(updatePath(conn, { name, maxTokenLifetimeMs: lifetimeMs }).connection, call),
    outgoing: (transport) => (security ? transport.withPathTokens(security.generate) : transport),
  };
}
