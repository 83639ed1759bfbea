// Rejects malformed requests before anything changes: INVALID_ARGUMENT naming the field, quoting the
// client's value at most 128 characters. Passes on the request with its addresses and prefixes in
// canonical form (src/chain/ip-fields.ts), so that what the NSE keeps and answers is canonical.
import type { Connection, PathSegment } from "../grpc/gen/networkservice/connection.js";
import { sameService } from "../registry/interdomain.js";
import { quote } from "../util/quote.js";
import { invalidArgument } from "./errors.js";
import { canonicalIpContext } from "./ip-fields.js";
import type { Element } from "./types.js";

/** RFC 3339's range, as protobuf's Timestamp is defined: 0001-01-01 to 9999-12-31. */
const MIN_TIME = new Date("0001-01-01T00:00:00Z").getTime();
const MAX_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

function checkExpires(segments: PathSegment[]): void {
  segments.forEach((s, i) => {
    if (s.expires === undefined) return;
    const ms = s.expires.getTime();
    if (!Number.isFinite(ms) || ms < MIN_TIME || ms > MAX_TIME) {
      throw invalidArgument(
        `connection.path.path_segments[${i}].expires`,
        "out of range (0001-01-01 to 9999-12-31)",
      );
    }
  });
}

/** Checks what every request must carry; `services` are the network services this NSE serves. */
export function validateConnection(conn: Connection | undefined, services: string[]): Connection {
  if (!conn) throw invalidArgument("connection", "missing");
  if (!conn.networkService) throw invalidArgument("connection.network_service", "missing");
  // NSM's remote proxy strips `@domain`; a floating domain's keeps it: both reach this service.
  if (!services.some((s) => sameService(s, conn.networkService))) {
    throw invalidArgument(
      "connection.network_service",
      `${quote(conn.networkService)} is not served here (serves ${services.join(", ")})`,
    );
  }
  const segments = conn.path?.pathSegments ?? [];
  if (segments.length > 0 && (conn.path?.index ?? 0) >= segments.length) {
    throw invalidArgument(
      "connection.path.index",
      `${conn.path?.index} is past the last of ${segments.length} path segments`,
    );
  }
  checkExpires(segments);
  const ip = conn.context?.ipContext;
  if (!ip) return conn;
  return { ...conn, context: { ...conn.context!, ipContext: canonicalIpContext(ip) } };
}

export function validate(services: string[]): Element {
  return (next) => ({
    request: (req, ctx) =>
      next.request({ ...req, connection: validateConnection(req.connection, services) }, ctx),
    close: (conn, ctx) => {
      if (!conn) throw invalidArgument("connection", "missing");
      checkExpires(conn.path?.pathSegments ?? []);
      return next.close(conn, ctx);
    },
  });
}
