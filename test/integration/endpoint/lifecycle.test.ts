// The endpoint as a whole through a real socket: health, many concurrent Requests, a prefix change
// healed under the NSCs, and a graceful stop that withdraws everything.
import { existsSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { HealthCheckResponse_ServingStatus as Serving } from "../../../src/grpc/gen/grpc/health/v1/health.js";
import { State, ConnectionEventType as T } from "../../../src/grpc/gen/networkservice/connection.js";
import {
  byEndpoint,
  codeOf,
  type MonitorStream,
  nscRequest,
  SERVICE,
  startTestNse,
  type TestNse,
  waitFor,
  watch,
} from "../../support/endpoint.js";
import { MovablePrefix } from "../../support/movable-prefix.js";

let t: TestNse | undefined;
let m: MonitorStream | undefined;
afterEach(async () => {
  m?.cancel();
  m = undefined;
  await t?.stop();
  t = undefined;
});

function check(service: string): Promise<{ status?: Serving; code: string }> {
  return new Promise((resolve) =>
    t!.health.check({ service }, (err, res) =>
      resolve({ status: res?.status, code: err ? codeOf(err) : "OK" }),
    ),
  );
}

describe("endpoint lifecycle", () => {
  it("answers grpc.health.v1 Check with SERVING for the server, its APIs and its services", async () => {
    t = await startTestNse();
    for (const service of ["", "networkservice.NetworkService", "connection.MonitorConnection", SERVICE]) {
      expect(await check(service)).toEqual({ status: Serving.SERVING, code: "OK" });
    }
    expect((await check("no.such.Service")).code).toBe("NOT_FOUND");
  });

  it("tells a health Watch NOT_SERVING on stop, then ends the stream", async () => {
    t = await startTestNse();
    const statuses: Serving[] = [];
    let code: number | undefined;
    const call = t.health.watch({ service: SERVICE });
    call.on("data", (r: { status: Serving }) => statuses.push(r.status));
    call.on("status", (s: { code: number }) => {
      code = s.code;
    });
    call.on("error", () => {});
    await waitFor(() => statuses.length > 0, "the first health status");
    await t.nse.stop();
    await waitFor(() => code !== undefined, "the Watch stream to end");
    expect(statuses).toEqual([Serving.SERVING, Serving.NOT_SERVING]);
    expect(code).toBe(0);
  });

  it("serves 1,000 concurrent Requests with 1,000 distinct addresses, and closes them all", async () => {
    t = await startTestNse({ env: { NSM_PREFIX_LEN: "20" } });
    const conns = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => t!.request(nscRequest({ name: `nsc-${i}` }), 60_000)),
    );
    const addresses = new Set(conns.map((c) => c.context!.ipContext!.srcIpAddrs[0]));
    expect(addresses.size).toBe(1000);
    for (const a of addresses) expect(a).toMatch(/^172\.16\.([0-9]|1[0-5])\.\d+\/32$/);
    expect(new Set(conns.map((c) => c.id)).size).toBe(1000);
    expect((await t.dataplane.dump()).filter((i) => i.type === "interface")).toHaveLength(1000);
    await Promise.all(conns.map((c) => t!.close(c, 60_000)));
    expect(await t.dataplane.dump()).toEqual([]);
    expect(t.nse.endpoint.addressing().addresses.used).toBe(0);
  });

  it("heals its NSCs into a new prefix and tells them to refresh (REFRESH_REQUESTED)", async () => {
    const prefix = new MovablePrefix("172.16.0.0/24");
    t = await startTestNse({ prefixSource: prefix });
    const conn = await t.request(nscRequest({ name: "nsc-a" }));
    m = watch(t.monitor, byEndpoint());
    await m.next((e) => e.type === T.INITIAL_STATE_TRANSFER, "initial state");
    prefix.move("172.16.5.0/24");
    const healed = await m.next(
      (e) => e.type === T.UPDATE && e.connections[conn.id]?.state === State.REFRESH_REQUESTED,
      "REFRESH_REQUESTED",
    );
    const ip = healed.connections[conn.id]!.context!.ipContext!;
    expect(ip.srcIpAddrs).toEqual(["172.16.5.2/32"]);
    expect(ip.srcRoutes.map((r) => r.prefix)).toEqual(["172.16.5.1/32", "172.16.5.0/24", "172.16.0.0/16"]);
    const programmed = await t.dataplane.dump();
    expect(programmed).toContainEqual(expect.objectContaining({ type: "address", cidr: "172.16.5.1/32" }));
    expect(programmed).not.toContainEqual(
      expect.objectContaining({ type: "address", cidr: "172.16.0.1/32" }),
    );
  });

  it("stops gracefully: every connection closed (monitor DELETEs), data plane empty, socket gone", async () => {
    t = await startTestNse();
    const conns = [];
    for (let i = 0; i < 5; i++) conns.push(await t.request(nscRequest({ name: `nsc-${i}` })));
    m = watch(t.monitor, byEndpoint());
    await m.next((e) => e.type === T.INITIAL_STATE_TRANSFER, "initial state");
    const socket = t.target.slice("unix://".length);
    expect(existsSync(socket)).toBe(true);
    await t.nse.stop();
    const deleted = m.events.filter((e) => e.type === T.DELETE).flatMap((e) => Object.keys(e.connections));
    expect(deleted.sort()).toEqual(conns.map((c) => c.id).sort());
    expect(await t.dataplane.dump()).toEqual([]);
    expect(t.nse.endpoint.events.snapshot()).toEqual([]);
    expect(existsSync(socket)).toBe(false);
    // The server ended the stream itself (OK), rather than cutting it at the shutdown grace period.
    await waitFor(() => m!.status() !== undefined, "the monitor stream to end");
    expect(m.status()).toBe(0);
    expect(m.errors).toEqual([]);
  });
});
