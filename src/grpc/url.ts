// The one parser of gRPC listen and dial URLs (unix:///path, tcp://host:port, host:port), for
// settings and for URLs read from the wire (a registered NSE's url) alike, so every part of the
// project agrees on what an address means. Pure: no I/O.

/** A listen or dial URL: a unix socket path, or a TCP host and port (port 0 = any, when listening). */
export type GrpcUrl = { kind: "unix"; path: string } | { kind: "tcp"; host: string; port: number };

/** A string that is not a gRPC URL; `reason` says what was expected. */
export class GrpcUrlError extends Error {
  override name = "GrpcUrlError";
  constructor(
    readonly raw: string,
    readonly reason: string,
  ) {
    super(`"${raw}" ${reason}`);
  }
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[^:/[\]]*):(\d{1,5})$/;

/** Parses a URL; an empty TCP host means every interface (0.0.0.0). Throws GrpcUrlError. */
export function parseGrpcUrl(raw: string): GrpcUrl {
  const s = raw.trim();
  if (s.startsWith("unix://")) {
    const path = s.slice("unix://".length);
    if (!path.startsWith("/")) throw new GrpcUrlError(raw, "must be unix:///absolute/path");
    return { kind: "unix", path };
  }
  const hostPort = s.startsWith("tcp://") ? s.slice("tcp://".length) : s;
  const m = HOST_PORT.exec(hostPort);
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port > 65535) {
    throw new GrpcUrlError(raw, "is not a URL (unix:///path, tcp://host:port or host:port)");
  }
  const host = m[1]!.replace(/^\[|\]$/g, "") || "0.0.0.0";
  return { kind: "tcp", host, port };
}

/** The target string grpc-js understands for a dial or bind. */
export function grpcTarget(url: GrpcUrl): string {
  if (url.kind === "unix") return `unix://${url.path}`;
  return url.host.includes(":") ? `[${url.host}]:${url.port}` : `${url.host}:${url.port}`;
}

/** The canonical written form: unix:///path or tcp://host:port. */
export function formatGrpcUrl(url: GrpcUrl): string {
  return url.kind === "unix" ? `unix://${url.path}` : `tcp://${grpcTarget(url)}`;
}

/** A URL from either form: a string is parsed, a GrpcUrl is taken as it is. */
export function toGrpcUrl(url: GrpcUrl | string): GrpcUrl {
  return typeof url === "string" ? parseGrpcUrl(url) : url;
}
