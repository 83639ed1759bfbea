// Rejects malformed requests before anything changes: INVALID_ARGUMENT naming the field.
import type { Connection } from "../grpc/gen/networkservice/connection.js";
import type { IPContext } from "../grpc/gen/networkservice/connectioncontext.js";
import { CidrError, parseAddress, parseCidr } from "../ipam/cidr.js";
import { sameService } from "../registry/interdomain.js";
import { invalidArgument } from "./errors.js";
import type { Element } from "./types.js";

const IP = "connection.context.ip_context";

function checkCidr(field: string, value: string): void {
  try {
    parseCidr(value, field);
  } catch (e) {
    throw invalidArgument(
      field,
      e instanceof CidrError ? `"${value}" is not a CIDR (address/length)` : String(e),
    );
  }
}

function checkIpContext(ip: IPContext): void {
  for (const [name, list] of [
    ["src_ip_addrs", ip.srcIpAddrs],
    ["dst_ip_addrs", ip.dstIpAddrs],
    ["excluded_prefixes", ip.excludedPrefixes],
  ] as const) {
    for (const [i, v] of list.entries()) checkCidr(`${IP}.${name}[${i}]`, v);
  }
  for (const [name, routes] of [
    ["src_routes", ip.srcRoutes],
    ["dst_routes", ip.dstRoutes],
  ] as const) {
    routes.forEach((r, i) => {
      checkCidr(`${IP}.${name}[${i}].prefix`, r.prefix);
      if (r.nextHop) {
        try {
          parseAddress(r.nextHop);
        } catch {
          throw invalidArgument(`${IP}.${name}[${i}].nextHop`, `"${r.nextHop}" is not an IP address`);
        }
      }
    });
  }
}

/** Checks what every request must carry; `services` are the network services this NSE serves. */
export function validateConnection(conn: Connection | undefined, services: string[]): Connection {
  if (!conn) throw invalidArgument("connection", "missing");
  if (!conn.networkService) throw invalidArgument("connection.network_service", "missing");
  // NSM's remote proxy strips `@domain`; a floating domain's keeps it: both reach this service.
  if (!services.some((s) => sameService(s, conn.networkService))) {
    throw invalidArgument(
      "connection.network_service",
      `"${conn.networkService}" is not served here (serves ${services.join(", ")})`,
    );
  }
  const segments = conn.path?.pathSegments ?? [];
  if (segments.length > 0 && (conn.path?.index ?? 0) >= segments.length) {
    throw invalidArgument(
      "connection.path.index",
      `${conn.path?.index} is past the last of ${segments.length} path segments`,
    );
  }
  if (conn.context?.ipContext) checkIpContext(conn.context.ipContext);
  return conn;
}

export function validate(services: string[]): Element {
  return (next) => ({
    request: (req, ctx) => {
      validateConnection(req.connection, services);
      return next.request(req, ctx);
    },
    close: (conn, ctx) => {
      if (!conn) throw invalidArgument("connection", "missing");
      return next.close(conn, ctx);
    },
  });
}
