// Small value parsers for configuration; each throws ConfigError naming the key.
import { ConfigError } from "./errors.js";

export function parseDuration(key: string, raw: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(raw.trim());
  if (!m) throw new ConfigError(key, `"${raw}" is not a duration (for example 500ms, 15s, 10m, 1h)`);
  const n = Number(m[1]);
  const unit = m[2] ?? "s";
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit] ?? 1000;
  return Math.round(n * factor);
}

export function parseBool(key: string, raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (["true", "1", "yes", "on"].includes(v)) return true;
  if (["false", "0", "no", "off", ""].includes(v)) return false;
  throw new ConfigError(key, `"${raw}" is not a boolean (true or false)`);
}

export function parseInteger(key: string, raw: string, min: number, max: number): number {
  const n = Number(raw.trim());
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(key, `"${raw}" is not a whole number from ${min} to ${max}`);
  }
  return n;
}

export function parseList(raw: string): string[] {
  return raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** NSM label syntax: "k1=v1,k2=v2" (also accepts ':' as NSM's cmd tools do). */
export function parseLabels(key: string, raw: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of parseList(raw)) {
    const m = /^([^=:]+)[=:](.*)$/.exec(pair);
    if (!m) throw new ConfigError(key, `"${pair}" is not a label (key=value)`);
    labels[m[1]!.trim()] = m[2]!.trim();
  }
  return labels;
}

/** A listen or dial URL: unix:///path, tcp://host:port or host:port. */
export type GrpcUrl = { kind: "unix"; path: string } | { kind: "tcp"; host: string; port: number };

export function parseGrpcUrl(key: string, raw: string): GrpcUrl {
  const s = raw.trim();
  if (s.startsWith("unix://")) {
    const path = s.slice("unix://".length);
    if (!path.startsWith("/")) throw new ConfigError(key, `"${raw}" must be unix:///absolute/path`);
    return { kind: "unix", path };
  }
  const hostPort = s.startsWith("tcp://") ? s.slice("tcp://".length) : s;
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:/[\]]*):(\d{1,5})$/.exec(hostPort);
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port > 65535) {
    throw new ConfigError(key, `"${raw}" is not a URL (unix:///path, tcp://host:port or host:port)`);
  }
  const host = m[1]!.replace(/^\[|\]$/g, "") || "0.0.0.0";
  return { kind: "tcp", host, port };
}

/** The target string grpc-js understands for a dial or bind. */
export function grpcTarget(url: GrpcUrl): string {
  if (url.kind === "unix") return `unix://${url.path}`;
  return url.host.includes(":") ? `[${url.host}]:${url.port}` : `${url.host}:${url.port}`;
}

export function formatGrpcUrl(url: GrpcUrl): string {
  return url.kind === "unix" ? `unix://${url.path}` : `tcp://${grpcTarget(url)}`;
}
