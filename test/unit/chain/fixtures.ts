// A recording last element and request builders for the chain element tests.
import type { CallContext, NetworkServiceHandler } from "../../../src/chain/types.js";
import {
  type Connection,
  Connection as ConnectionMsg,
  type Mechanism,
} from "../../../src/grpc/gen/networkservice/connection.js";
import {
  NetworkServiceRequest,
  type NetworkServiceRequest as Request,
} from "../../../src/grpc/gen/networkservice/networkservice.js";
import type { DeepPartial } from "../../support/endpoint.js";

export function recorder() {
  const requests: Array<{ req: Request; ctx: CallContext }> = [];
  const closes: Array<{ conn: Connection; ctx: CallContext }> = [];
  const next: NetworkServiceHandler = {
    request: async (req, ctx) => {
      requests.push({ req, ctx: { ...ctx } });
      return req.connection!;
    },
    close: async (conn, ctx) => {
      closes.push({ conn, ctx: { ...ctx } });
    },
  };
  return { next, requests, closes };
}

export const ctx = (): CallContext => ({ deadline: Date.now() + 10_000 });

/** A request with the connection fields and mechanism preferences given; the rest are defaults. */
export function req(connection: DeepPartial<Connection>, prefs: DeepPartial<Mechanism>[] = []): Request {
  return NetworkServiceRequest.fromPartial({
    connection: ConnectionMsg.fromPartial(connection as never),
    mechanismPreferences: prefs as never,
  });
}
