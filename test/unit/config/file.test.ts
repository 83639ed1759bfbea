import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/config.js";
import { ConfigError } from "../../../src/config/errors.js";
import { parseConfigFile } from "../../../src/config/file.js";

/** The ConfigMap of the 2019 DaemonSet (old schema). */
const OLD = `
endpoints:
- name: "vl3-service"
  labels:
    app: "vl3-nse-ucnf"
  ipam:
    prefixpool: "10.60.0.0/16"
    routes: []
  ifname: "endpoint0"
`;

/** The helm chart's template (new schema), with the seed's defaults. */
const NEW = `
endpoints:
  - name: vl3-service
    labels:
      app: vl3-nse-vl3-service
      wcm/nsr.addr: vl3-service.wcm-cisco.com
      wcm/nsr.port: 5005
    nseControl:
      name: vl3-service
      address: vl3-service.wcm-cisco.com
      accessToken: "123"
      connectivityDomain: vl3-service-connectivity-domain
    vl3:
      ipam:
        defaultPrefixPool: 192.168.0.0/16
        prefixLength: 22
        serverAddress: ipam-vl3-service.wcm-cisco.com:50051
        routes: [10.20.0.0/16]
      ifName: endpoint0
      nameServers: []
      dnsZones: []
`;

function errorOf(text: string): ConfigError {
  try {
    parseConfigFile(text, "test.yaml");
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("parseConfigFile", () => {
  it("maps the old schema to NSM_* settings", () => {
    expect(parseConfigFile(OLD, "test.yaml")).toEqual({
      NSM_SERVICE_NAMES: "vl3-service",
      NSM_LABELS: "app=vl3-nse-ucnf",
      NSM_PREFIX_POOL: "10.60.0.0/16",
    });
  });

  it("maps the new schema, and loadConfig takes it", () => {
    const overrides = parseConfigFile(NEW, "test.yaml");
    expect(overrides).toEqual({
      NSM_SERVICE_NAMES: "vl3-service",
      NSM_LABELS: "app=vl3-nse-vl3-service,wcm/nsr.addr=vl3-service.wcm-cisco.com,wcm/nsr.port=5005",
      NSM_PREFIX_POOL: "192.168.0.0/16",
      NSM_PREFIX_LEN: "22",
      NSM_PREFIX_SERVER_URL: "ipam-vl3-service.wcm-cisco.com:50051",
      NSM_EXTRA_ROUTES: "10.20.0.0/16",
    });
    const config = loadConfig({}, overrides);
    expect(config.prefixLen).toBe(22);
    expect(config.prefixSource).toBe("server");
    expect(config.extraRoutes).toEqual(["10.20.0.0/16"]);
    expect(config.labels["wcm/nsr.port"]).toBe("5005");
  });

  it("accepts a missing nseControl and labels (the Go seed crashed on both)", () => {
    const text =
      "endpoints:\n  - name: vl3-a\n    vl3:\n      ipam:\n        defaultPrefixPool: 172.16.0.0/16\n";
    expect(parseConfigFile(text, "test.yaml")).toEqual({
      NSM_SERVICE_NAMES: "vl3-a",
      NSM_PREFIX_POOL: "172.16.0.0/16",
    });
  });

  it("joins several endpoints into one list of services with merged labels and routes", () => {
    const text = `
endpoints:
  - {name: vl3-a, labels: {app: x}, ipam: {prefixpool: 172.16.0.0/16, routes: [198.18.0.0/24]}}
  - {name: vl3-b, labels: {tier: y}, ipam: {prefixpool: 172.16.0.0/16, routes: [198.18.0.0/24, 198.18.1.0/24]}}
`;
    expect(parseConfigFile(text, "test.yaml")).toEqual({
      NSM_SERVICE_NAMES: "vl3-a,vl3-b",
      NSM_LABELS: "app=x,tier=y",
      NSM_PREFIX_POOL: "172.16.0.0/16",
      NSM_EXTRA_ROUTES: "198.18.0.0/24,198.18.1.0/24",
    });
  });

  it("takes a top-level env map of known settings, with numbers and booleans as text", () => {
    const text = "env:\n  NSM_LOG_LEVEL: debug\n  NSM_PREFIX_LEN: 26\n  NSM_INSPECT: true\n";
    expect(parseConfigFile(text, "test.yaml")).toEqual({
      NSM_LOG_LEVEL: "debug",
      NSM_PREFIX_LEN: "26",
      NSM_INSPECT: "true",
    });
  });

  it("reads an empty file as no overrides", () => {
    expect(parseConfigFile("", "test.yaml")).toEqual({});
    expect(parseConfigFile("# nothing\n", "test.yaml")).toEqual({});
  });

  it.each([
    [
      "endpoints:\n  - name: a\n    ipam:\n      prefixpool: 10.60.0.0\n",
      "endpoints[0].ipam.prefixpool",
      "not a CIDR",
    ],
    [
      "endpoints:\n  - name: a\n    vl3:\n      ipam:\n        prefixLength: x\n",
      "endpoints[0].vl3.ipam.prefixLength",
      "not a prefix length",
    ],
    [
      "endpoints:\n  - name: a\n    vl3:\n      ipam:\n        defaultPrefixPool: 10.0.0.0/16\n        prefixLength: 8\n",
      "endpoints[0].vl3.ipam.prefixLength",
      "must be from 16",
    ],
    [
      "endpoints:\n  - name: a\n    vl3:\n      ipam:\n        serverAddress: 'nope'\n",
      "endpoints[0].vl3.ipam.serverAddress",
      "is not host:port",
    ],
    [
      "endpoints:\n  - name: a\n    ipam:\n      routes: [10.0.0.0/8, bad]\n",
      "endpoints[0].ipam.routes[1]",
      "not a CIDR",
    ],
    ["endpoints:\n  - labels: {a: b}\n", "endpoints[0].name", "is required"],
    [
      "endpoints:\n  - name: a\n    ipam: {prefixpol: 10.0.0.0/16}\n",
      "endpoints[0].ipam.prefixpol",
      "unknown key",
    ],
    ["endpoints:\n  - name: a\n    ipam: {}\n    vl3: {}\n", "endpoints[0]", "both ipam"],
    ["endpoints: {name: a}\n", "endpoints", "must be a list"],
    ["endpoint: []\n", "endpoint", "unknown key"],
    ["env:\n  NSM_NOPE: 1\n", "env.NSM_NOPE", "not a vl3-nse setting"],
    ["env:\n  NSM_DATAPLANE: dpdk\n", "env.NSM_DATAPLANE", "not one of memory, vpp, kernel"],
    [
      "endpoints:\n  - {name: a, ipam: {prefixpool: 10.0.0.0/16}}\n  - {name: b, ipam: {prefixpool: 10.1.0.0/16}}\n",
      "endpoints[1].ipam.prefixpool",
      "conflicts with endpoints[0].ipam.prefixpool",
    ],
    ["endpoints:\n  - {name: a}\n  - {name: a}\n", "endpoints[1].name", "listed twice"],
    ["endpoints:\n  - {name: a, labels: {app: 'x,y'}}\n", "endpoints[0].labels.app", "comma"],
    [
      "endpoints:\n  - {name: a, ipam: {prefixpool: 10.0.0.0/16}}\nenv:\n  NSM_PREFIX_POOL: 10.1.0.0/16\n",
      "env.NSM_PREFIX_POOL",
      "conflicts with",
    ],
    ["endpoints: [\n", "(yaml)", ""],
  ])("reports the YAML path of a mistake: %#", (text, key, detail) => {
    const err = errorOf(text);
    expect(err.key).toBe(key);
    expect(err.message).toContain(detail);
    expect(err.message).toContain("test.yaml");
  });
});
