// validate: every malformed field is rejected with INVALID_ARGUMENT naming it, before anything runs.
import { describe, expect, it } from "vitest";
import { RequestError } from "../../../src/chain/errors.js";
import { validate, validateConnection } from "../../../src/chain/validate.js";
import { Connection } from "../../../src/grpc/gen/networkservice/connection.js";
import { ctx, recorder } from "./fixtures.js";

const SERVICES = ["vl3", "vl3-b"];
const good = () => ({
  id: "c1",
  networkService: "vl3",
  path: { index: 0, pathSegments: [{ name: "nsc-1", id: "c1" }] },
  context: {
    ipContext: {
      srcIpAddrs: ["172.16.0.2/32"],
      dstIpAddrs: ["172.16.0.1/32"],
      excludedPrefixes: ["10.96.0.0/12"],
      srcRoutes: [{ prefix: "172.16.0.0/16", nextHop: "172.16.0.1" }],
      dstRoutes: [{ prefix: "172.16.0.2/32", nextHop: "" }],
    },
  },
});
type Shape = ReturnType<typeof good>;

function rejection(mutate: (c: Shape) => unknown): RequestError {
  const c = good();
  mutate(c);
  try {
    validateConnection(Connection.fromPartial(c), SERVICES);
  } catch (e) {
    if (e instanceof RequestError) return e;
    throw e;
  }
  throw new Error("accepted");
}

describe("validateConnection", () => {
  it("accepts a well-formed request", () => {
    expect(validateConnection(Connection.fromPartial(good()), SERVICES).id).toBe("c1");
  });

  it("rejects a missing connection", () => {
    expect(() => validateConnection(undefined, SERVICES)).toThrow(/^connection: missing/);
  });

  const ip = "connection.context.ip_context";
  const ipc = (c: Shape) => c.context.ipContext;
  it.each<[string, (c: Shape) => unknown]>([
    ["connection.network_service", (c) => Object.assign(c, { networkService: "" })],
    ["connection.network_service", (c) => Object.assign(c, { networkService: "other" })],
    ["connection.path.index", (c) => Object.assign(c.path, { index: 1 })],
    [`${ip}.src_ip_addrs[0]`, (c) => Object.assign(ipc(c), { srcIpAddrs: ["172.16.0.300/32"] })],
    [`${ip}.src_ip_addrs[1]`, (c) => ipc(c).srcIpAddrs.push("nonsense")],
    [`${ip}.dst_ip_addrs[0]`, (c) => Object.assign(ipc(c), { dstIpAddrs: ["172.16.0.1/33"] })],
    [`${ip}.excluded_prefixes[0]`, (c) => Object.assign(ipc(c), { excludedPrefixes: ["10.96.0.0"] })],
    [`${ip}.src_routes[0].prefix`, (c) => Object.assign(ipc(c).srcRoutes[0]!, { prefix: "x/16" })],
    [`${ip}.src_routes[0].nextHop`, (c) => Object.assign(ipc(c).srcRoutes[0]!, { nextHop: "172.16.0" })],
    [`${ip}.dst_routes[0].prefix`, (c) => Object.assign(ipc(c).dstRoutes[0]!, { prefix: "fd00::/129" })],
    [`${ip}.dst_routes[0].nextHop`, (c) => Object.assign(ipc(c).dstRoutes[0]!, { nextHop: "gateway" })],
  ])("names %s", (field, mutate) => {
    const e = rejection(mutate);
    expect(e.code).toBe("INVALID_ARGUMENT");
    expect(e.message.startsWith(`${field}:`)).toBe(true);
  });

  it("says which services are served", () => {
    expect(rejection((c) => Object.assign(c, { networkService: "other" })).message).toContain(
      "serves vl3, vl3-b",
    );
  });

  it("accepts IPv6 addresses and routes", () => {
    const c = good();
    c.context.ipContext = {
      srcIpAddrs: ["fd00::2/128"],
      dstIpAddrs: ["fd00::1/128"],
      excludedPrefixes: [],
      srcRoutes: [{ prefix: "fd00::/64", nextHop: "fd00::1" }],
      dstRoutes: [],
    };
    expect(() => validateConnection(Connection.fromPartial(c), SERVICES)).not.toThrow();
  });
});

describe("validate element", () => {
  it("stops a bad request before the next element", async () => {
    const r = recorder();
    const handler = validate(SERVICES)(r.next);
    // Thrown or rejected: either way the call fails and nothing further runs.
    const bad = { connection: Connection.fromPartial({ networkService: "nope" }), mechanismPreferences: [] };
    await expect(Promise.resolve().then(() => handler.request(bad, ctx()))).rejects.toThrow(
      /connection.network_service/,
    );
    expect(r.requests).toHaveLength(0);
  });

  it("passes a good request and a Close on", async () => {
    const r = recorder();
    const handler = validate(SERVICES)(r.next);
    await handler.request({ connection: Connection.fromPartial(good()), mechanismPreferences: [] }, ctx());
    await handler.close(Connection.fromPartial(good()), ctx());
    expect(r.requests).toHaveLength(1);
    expect(r.closes).toHaveLength(1);
  });
});
