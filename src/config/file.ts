// The config file (a ConfigMap's config.yaml) in the Go vL3 seed's two schemas, turned into
// NSM_* overrides for loadConfig. Errors name the YAML path, so a bad ConfigMap points at its line.
import YAML from "yaml";
import { CidrError, parseCidr } from "../ipam/cidr.js";
import { loadConfig, type Overrides, SETTINGS } from "./config.js";
import { ConfigError } from "./errors.js";
import { parseUrlSetting } from "./parse.js";

/** Keys the file may set under `env:`: every setting, plus the file-only extra routes. */
const ENV_KEYS = new Set([...SETTINGS.map((s) => s.env), "NSM_EXTRA_ROUTES"]);

type Mapping = Record<string, unknown>;

/** What one `endpoints[i]` entry says, whichever schema it uses. */
interface Endpoint {
  path: string;
  name: string;
  labels: Record<string, string>;
  pool?: { value: string; path: string };
  prefixLen?: { value: string; path: string };
  server?: { value: string; path: string };
  routes: string[];
}

/**
 * Parses a config file. `source` (a file path or "configmap ns/name") goes into error details.
 * Old schema: `endpoints: [{name, labels, ipam: {prefixpool, routes}, ifname}]`; new schema:
 * `endpoints: [{name, labels, nseControl, vl3: {ipam: {defaultPrefixPool, prefixLength, serverAddress,
 * routes}, ifName, nameServers, dnsZones}}]`; both may add `env: {NSM_*: value}`.
 */
export function parseConfigFile(text: string, source: string): Overrides {
  const fail = (path: string, detail: string): never => {
    throw new ConfigError(path, `${detail} (in ${source})`);
  };
  const doc = YAML.parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) fail("(yaml)", doc.errors[0]!.message.split("\n")[0]!);
  const root: unknown = doc.toJS() ?? {};
  const top = mapping(root, "(top level)", fail);
  known(top, "", ["endpoints", "env"], fail);

  const out: Overrides = {};
  const origin: Record<string, string> = {};
  const set = (key: string, value: string, path: string) => {
    if (key in out && out[key] !== value) fail(path, `conflicts with ${origin[key]} ("${out[key]}")`);
    out[key] = value;
    origin[key] = path;
  };

  if (top.endpoints !== undefined) {
    const eps = list(top.endpoints, "endpoints", fail).map((e, i) =>
      readEndpoint(e, `endpoints[${i}]`, fail),
    );
    mergeEndpoints(eps, set, fail);
  }
  if (top.env !== undefined) {
    const env = mapping(top.env, "env", fail);
    for (const [key, value] of Object.entries(env)) {
      if (!ENV_KEYS.has(key)) fail(`env.${key}`, "is not a vl3-nse setting (see docs/configuration.md)");
      set(key, scalar(value, `env.${key}`, fail), `env.${key}`);
    }
  }
  validate(out, origin, fail);
  return out;
}

function readEndpoint(raw: unknown, path: string, fail: Fail): Endpoint {
  const e = mapping(raw, path, fail);
  known(e, path, ["name", "labels", "nseControl", "ipam", "ifname", "vl3"], fail);
  if (e.ipam !== undefined && e.vl3 !== undefined)
    fail(path, "has both ipam (old schema) and vl3 (new schema)");
  const name = scalar(e.name, `${path}.name`, fail);
  if (name === "") fail(`${path}.name`, "the network service name must not be empty");
  // nseControl (central control plane of the seed) has no counterpart here; only its shape is checked.
  if (e.nseControl !== undefined) mapping(e.nseControl, `${path}.nseControl`, fail);
  const ep: Endpoint = { path, name, labels: readLabels(e.labels, `${path}.labels`, fail), routes: [] };
  if (e.ifname !== undefined) scalar(e.ifname, `${path}.ifname`, fail);

  let ipam: Mapping | undefined;
  let ipamPath = `${path}.ipam`;
  let poolKey = "prefixpool";
  if (e.ipam !== undefined) {
    ipam = mapping(e.ipam, ipamPath, fail);
    known(ipam, ipamPath, ["prefixpool", "routes"], fail);
  } else if (e.vl3 !== undefined) {
    const vl3 = mapping(e.vl3, `${path}.vl3`, fail);
    known(vl3, `${path}.vl3`, ["ipam", "ifName", "nameServers", "dnsZones"], fail);
    if (vl3.ifName !== undefined) scalar(vl3.ifName, `${path}.vl3.ifName`, fail);
    for (const k of ["nameServers", "dnsZones"])
      if (vl3[k] !== undefined) list(vl3[k], `${path}.vl3.${k}`, fail);
    ipamPath = `${path}.vl3.ipam`;
    poolKey = "defaultPrefixPool";
    if (vl3.ipam !== undefined) {
      ipam = mapping(vl3.ipam, ipamPath, fail);
      known(ipam, ipamPath, ["defaultPrefixPool", "prefixLength", "serverAddress", "routes"], fail);
    }
  }
  if (!ipam) return ep;
  const at = (k: string) => `${ipamPath}.${k}`;
  if (ipam[poolKey] !== undefined)
    ep.pool = { value: cidr(ipam[poolKey], at(poolKey), fail), path: at(poolKey) };
  if (ipam.prefixLength !== undefined) {
    const v = scalar(ipam.prefixLength, at("prefixLength"), fail);
    if (!/^\d{1,3}$/.test(v) || Number(v) < 1 || Number(v) > 128)
      fail(at("prefixLength"), `"${v}" is not a prefix length`);
    ep.prefixLen = { value: v, path: at("prefixLength") };
  }
  if (ipam.serverAddress !== undefined) {
    const v = scalar(ipam.serverAddress, at("serverAddress"), fail);
    try {
      parseUrlSetting(at("serverAddress"), v);
    } catch (err) {
      if (err instanceof ConfigError)
        fail(at("serverAddress"), `"${v}" is not host:port or a tcp:// or unix:// URL`);
      throw err;
    }
    ep.server = { value: v, path: at("serverAddress") };
  }
  if (ipam.routes != null) {
    ep.routes = list(ipam.routes, at("routes"), fail).map((r, i) => cidr(r, `${at("routes")}[${i}]`, fail));
  }
  return ep;
}

/** vl3-nse serves all its services from one pool, so the endpoints must agree on it. */
function mergeEndpoints(eps: Endpoint[], set: (k: string, v: string, p: string) => void, fail: Fail): void {
  if (eps.length === 0) return;
  const names: string[] = [];
  const labels: Record<string, string> = {};
  const routes: string[] = [];
  for (const ep of eps) {
    if (names.includes(ep.name)) fail(`${ep.path}.name`, `network service "${ep.name}" is listed twice`);
    names.push(ep.name);
    for (const [k, v] of Object.entries(ep.labels)) {
      if (k in labels && labels[k] !== v)
        fail(`${ep.path}.labels.${k}`, `"${v}" conflicts with "${labels[k]}" of another endpoint`);
      labels[k] = v;
    }
    for (const r of ep.routes) if (!routes.includes(r)) routes.push(r);
    if (ep.pool) set("NSM_PREFIX_POOL", ep.pool.value, ep.pool.path);
    if (ep.prefixLen) set("NSM_PREFIX_LEN", ep.prefixLen.value, ep.prefixLen.path);
    if (ep.server) set("NSM_PREFIX_SERVER_URL", ep.server.value, ep.server.path);
  }
  set("NSM_SERVICE_NAMES", names.join(","), `${eps[0]!.path}.name`);
  const labelText = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  if (labelText.length > 0) set("NSM_LABELS", labelText.join(","), `${eps[0]!.path}.labels`);
  if (routes.length > 0) set("NSM_EXTRA_ROUTES", routes.join(","), `${eps[0]!.path}.routes`);
}

/** Runs the values through the real setting parsers; an error is reported at the YAML path that set it. */
function validate(out: Overrides, origin: Record<string, string>, fail: Fail): void {
  try {
    loadConfig({}, out);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const path = origin[err.key];
    // A problem with a setting the file does not set may be fixed by the environment: leave it to loadConfig.
    if (path !== undefined) fail(path, err.message.replace(/^invalid configuration: [^:]+: /, ""));
  }
}

type Fail = (path: string, detail: string) => never;

function mapping(v: unknown, path: string, fail: Fail): Mapping {
  if (v === null || typeof v !== "object" || Array.isArray(v)) fail(path, "must be a mapping (key: value)");
  return v as Mapping;
}

function list(v: unknown, path: string, fail: Fail): unknown[] {
  if (!Array.isArray(v)) fail(path, "must be a list");
  return v as unknown[];
}

function scalar(v: unknown, path: string, fail: Fail): string {
  if (v === undefined || v === null) fail(path, "is required");
  if (typeof v === "string") return v.trim();
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return fail(path, "must be a string, number or boolean");
}

function known(m: Mapping, path: string, keys: string[], fail: Fail): void {
  for (const k of Object.keys(m)) {
    if (!keys.includes(k))
      fail(path ? `${path}.${k}` : k, `unknown key (expected one of ${keys.join(", ")})`);
  }
}

function cidr(v: unknown, path: string, fail: Fail): string {
  const s = scalar(v, path, fail);
  try {
    return parseCidr(s, path).toString();
  } catch (err) {
    if (err instanceof CidrError) fail(path, `"${s}" is not a CIDR (address/length)`);
    throw err;
  }
}

/** A missing labels block is fine (the Go seed crashed on it); keys and values must survive "k=v,k=v". */
function readLabels(v: unknown, path: string, fail: Fail): Record<string, string> {
  if (v === undefined || v === null) return {};
  const out: Record<string, string> = {};
  for (const [k, raw] of Object.entries(mapping(v, path, fail))) {
    const value = scalar(raw, `${path}.${k}`, fail);
    if (/[,=:]/.test(k) || k.trim() === "")
      fail(`${path}.${k}`, "a label key must not be empty or contain , = or :");
    if (value.includes(",")) fail(`${path}.${k}`, "a label value must not contain a comma");
    out[k] = value;
  }
  return out;
}
