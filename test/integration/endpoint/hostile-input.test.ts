// Hostile input through a real socket: huge values are quoted at most 128 characters, documented
// limits are enforced before any work, addresses and prefixes are parsed strictly and answered in
// canonical form, and out-of-range timestamps are INVALID_ARGUMENT naming the field.
import { afterEach, describe, expect, it } from "vitest";
import { LIMITS } from "../../../src/chain/limits.js";
import {
  codeOf,
  nscRequest,
  type RequestShape,
  SERVICE,
  startTestNse,
  type TestNse,
} from "../../support/endpoint.js";
import { requestWithExpiresSeconds, sendRawRequest } from "../../support/raw-request.js";

let t: TestNse | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

async function failure(req: RequestShape | Promise<unknown>): Promise<{ code: string; details: string }> {
  try {
    await (req instanceof Promise ? req : t!.request(req));
  } catch (e) {
    return { code: codeOf(e), details: (e as { details?: string }).details ?? "" };
  }
  throw new Error("the request succeeded");
}

/** Nothing was done: no connection, no address held. */
function expectNoState(): void {
  expect(t!.nse.endpoint.addressing().addresses.used).toBe(0);
  expect(t!.nse.endpoint.events.snapshot()).toEqual([]);
}

const withConnection = (patch: Record<string, unknown>): RequestShape => {
  const r = nscRequest({ name: "nsc-bad" });
  return { ...r, connection: { ...r.connection, ...patch } };
};
const withIp = (ipContext: Record<string, unknown>) => nscRequest({ name: "nsc-bad", ipContext });

/** The longest run of `x` characters in `text`: how much of a value made of x's came back. */
const longestRun = (text: string, x = "x") =>
  Math.max(0, ...(text.match(new RegExp(`${x}+`, "g")) ?? []).map((m) => m.length));

describe("unbounded echoes", () => {
  it("a 100,000-character network_service is INVALID_ARGUMENT quoting at most 128 characters", async () => {
    t = await startTestNse();
    const f = await failure(withConnection({ networkService: "x".repeat(100_000) }));
    expect(f.code).toBe("INVALID_ARGUMENT");
    expect(f.details.startsWith("connection.network_service:")).toBe(true);
    expect(longestRun(f.details)).toBeLessThanOrEqual(128);
    expectNoState();
  });

  it("a long bad address is quoted at most 128 characters", async () => {
    t = await startTestNse();
    const f = await failure(withIp({ srcRoutes: [{ prefix: `10.0.0.0/${"x".repeat(5000)}` }] }));
    expect(f.code).toBe("INVALID_ARGUMENT");
    expect(longestRun(f.details)).toBeLessThanOrEqual(128);
  });

  it("counts rejections by field in the signals /metrics is fed from", async () => {
    t = await startTestNse();
    const seen: unknown[] = [];
    const off = t.nse.endpoint.onSignal((s) => s.type === "rejection" && seen.push(s));
    await failure(withConnection({ networkService: "y".repeat(1000) }));
    off();
    expect(seen).toEqual([
      { type: "rejection", rpc: "Request", code: "INVALID_ARGUMENT", field: "connection.network_service" },
    ]);
  });
});

describe("documented limits, enforced before any work", () => {
  const labels = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v"]));
  const segments = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `hop-${i}`, id: `id-${i}` }));
  const prefixes = (n: number) => Array.from({ length: n }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.0/24`);

  it.each<[string, RequestShape]>([
    ["connection.labels", withConnection({ labels: labels(LIMITS.labels + 1) })],
    ["connection.labels", withConnection({ labels: { ["k".repeat(LIMITS.labelKeyChars + 1)]: "v" } })],
    [
      "connection.path.path_segments",
      withConnection({ path: { index: 0, pathSegments: segments(LIMITS.pathSegments + 1) } }),
    ],
    [
      "connection.path.path_segments[0].name",
      withConnection({
        path: { index: 0, pathSegments: [{ name: "n".repeat(LIMITS.nameChars + 1), id: "x" }] },
      }),
    ],
    ["connection.context.ip_context.excluded_prefixes", withIp({ excludedPrefixes: prefixes(20_000) })],
    [
      "mechanism_preferences",
      {
        ...nscRequest(),
        mechanismPreferences: Array.from({ length: LIMITS.mechanisms + 1 }, () => ({
          cls: "LOCAL",
          type: "KERNEL",
        })),
      },
    ],
  ])("refuses too much in %s (INVALID_ARGUMENT) and does nothing", async (field, req) => {
    t = await startTestNse();
    const f = await failure(req);
    expect(f.code).toBe("INVALID_ARGUMENT");
    expect(f.details.startsWith(`${field}:`)).toBe(true);
    expectNoState();
  });

  it("serves the most excluded prefixes allowed", async () => {
    t = await startTestNse();
    const conn = await t.request(withIp({ excludedPrefixes: prefixes(LIMITS.excludedPrefixes) }));
    expect(conn.context!.ipContext!.srcIpAddrs).toEqual(["172.16.0.2/32"]);
  });

  it("refuses a message over the size limit with RESOURCE_EXHAUSTED", async () => {
    t = await startTestNse();
    const f = await failure(withConnection({ labels: { big: "z".repeat(LIMITS.messageBytes) } }));
    expect(f.code).toBe("RESOURCE_EXHAUSTED");
    expect(longestRun(f.details, "z")).toBe(0);
  });
});

describe("strict parsing, canonical answers", () => {
  it.each<[string, RequestShape]>([
    ["connection.context.ip_context.src_ip_addrs[0]", withIp({ srcIpAddrs: [" 1.2.3.4/32"] })],
    ["connection.context.ip_context.excluded_prefixes[0]", withIp({ excludedPrefixes: ["10.0.0.0/8 "] })],
    [
      "connection.context.ip_context.src_routes[0].prefix",
      withIp({ srcRoutes: [{ prefix: "\t1.2.3.4/32" }] }),
    ],
    ["connection.context.ip_context.src_ip_addrs[0]", withIp({ srcIpAddrs: ["::ffff:1.2.3.4/128"] })],
    [
      "connection.context.ip_context.dst_routes[0].prefix",
      withIp({ dstRoutes: [{ prefix: "::ffff:172.16.0.0/120" }] }),
    ],
    ["connection.context.ip_context.src_ip_addrs[0]", withIp({ srcIpAddrs: ["fe80::1%eth0/128"] })],
    [
      "connection.context.ip_context.src_routes[0].nextHop",
      withIp({ srcRoutes: [{ prefix: "10.0.0.0/8", nextHop: "10.0.0.1 " }] }),
    ],
    ["connection.context.ip_context.dst_ip_addrs[0]", withIp({ dstIpAddrs: ["010.0.0.1/32"] })],
  ])("refuses a loose value in %s", async (field, req) => {
    t = await startTestNse();
    const f = await failure(req);
    expect(f.code).toBe("INVALID_ARGUMENT");
    expect(f.details.startsWith(`${field}:`)).toBe(true);
    expectNoState();
  });

  it("answers what it keeps of the request in canonical form", async () => {
    t = await startTestNse();
    const conn = await t.request(
      withIp({
        srcRoutes: [{ prefix: "10.1.2.3/8", nextHop: "FD00:0:0::0001" }],
        excludedPrefixes: ["FD00:0::/64"],
        dstRoutes: [{ prefix: "192.168.7.9/24" }],
      }),
    );
    const ip = conn.context!.ipContext!;
    expect(ip.srcRoutes[0]).toEqual({ prefix: "10.0.0.0/8", nextHop: "fd00::1" });
    expect(ip.excludedPrefixes).toEqual(["fd00::/64"]);
    expect(ip.dstRoutes[0]!.prefix).toBe("192.168.7.0/24");
  });
});

describe("timestamps", () => {
  const withExpiresSeconds = (seconds: bigint) => requestWithExpiresSeconds("nsc-time", SERVICE, seconds);
  const sendRaw = (bytes: Uint8Array) => sendRawRequest(t!.target, bytes, t!.clientTransport);

  it.each([
    2n ** 62n,
    2n ** 50n,
    -(2n ** 40n),
    253_402_300_800n,
  ])("expires.seconds = %s is INVALID_ARGUMENT naming the field", async (seconds) => {
    t = await startTestNse();
    const f = await failure(sendRaw(withExpiresSeconds(seconds)));
    expect(f.code).toBe("INVALID_ARGUMENT");
    expect(f.details.startsWith("connection.path.path_segments[0].expires:")).toBe(true);
    expectNoState();
  });

  it("a far but valid expiry is served (the lifetime is capped)", async () => {
    t = await startTestNse();
    await expect(sendRaw(withExpiresSeconds(253_402_300_799n))).resolves.toBeDefined();
  });
});
