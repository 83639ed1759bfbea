// Small value parsers for configuration; each throws ConfigError naming the key.
import { type GrpcUrl, GrpcUrlError, parseGrpcUrl } from "../grpc/url.js";
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

/** A listen or dial URL setting (src/grpc/url.ts parses it), its error naming the key. */
export function parseUrlSetting(key: string, raw: string): GrpcUrl {
  try {
    return parseGrpcUrl(raw);
  } catch (err) {
    if (err instanceof GrpcUrlError) throw new ConfigError(key, err.message);
    throw err;
  }
}
