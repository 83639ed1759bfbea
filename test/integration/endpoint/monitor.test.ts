// MonitorConnections through a real socket: the initial state, UPDATE and DELETE events, scope
// selectors, and the DELETE of a connection that expired because its NSC stopped refreshing.
import { afterEach, describe, expect, it } from "vitest";
import {
  type ConnectionEvent,
  ConnectionEventType as T,
} from "../../../src/grpc/gen/networkservice/connection.js";
import {
  byEndpoint,
  type MonitorStream,
  nscRequest,
  refreshOf,
  SERVICE,
  startTestNse,
  type TestNse,
  waitFor,
  watch,
} from "../../support/endpoint.js";

let t: TestNse | undefined;
const streams: MonitorStream[] = [];
afterEach(async () => {
  for (const s of streams.splice(0)) s.cancel();
  await t?.stop();
  t = undefined;
});

function open(selector: Parameters<typeof watch>[1] = byEndpoint()): MonitorStream {
  const s = watch(t!.monitor, selector);
  streams.push(s);
  return s;
}

const ids = (e: ConnectionEvent) => Object.keys(e.connections).sort();
const of = (type: T, id: string) => (e: ConnectionEvent) => e.type === type && id in e.connections;

describe("MonitorConnections", () => {
  it("sends the current connections first, then UPDATE and DELETE", async () => {
    t = await startTestNse();
    const before = await t.request(nscRequest({ name: "nsc-a" }));
    const m = open();
    const initial = await m.next((e) => e.type === T.INITIAL_STATE_TRANSFER, "initial state");
    expect(ids(initial)).toEqual([before.id]);
    expect(initial.connections[before.id]!.context).toEqual(before.context);
    const conn = await t.request(nscRequest({ name: "nsc-b" }));
    const update = await m.next(of(T.UPDATE, conn.id), "UPDATE");
    expect(update.connections[conn.id]!.context!.ipContext!.srcIpAddrs).toEqual(["172.16.0.3/32"]);
    await t.close(conn);
    const del = await m.next(of(T.DELETE, conn.id), "DELETE");
    expect(ids(del)).toEqual([conn.id]);
    expect(m.events[0]!.type).toBe(T.INITIAL_STATE_TRANSFER);
    expect(m.errors).toEqual([]);
  });

  it("sends an empty initial state when nothing is connected", async () => {
    t = await startTestNse();
    const m = open();
    expect(ids(await m.next((e) => e.type === T.INITIAL_STATE_TRANSFER, "initial state"))).toEqual([]);
  });

  it("sends an UPDATE for a refresh", async () => {
    t = await startTestNse();
    const conn = await t.request(nscRequest());
    const m = open();
    await m.next((e) => e.type === T.INITIAL_STATE_TRANSFER, "initial state");
    await t.request(refreshOf(conn));
    await m.next(of(T.UPDATE, conn.id), "UPDATE after refresh");
  });

  it("selects by path segment: only the connections whose path has that segment", async () => {
    t = await startTestNse();
    const m = open({ pathSegments: [{ name: "nsc-b", id: "", token: "", expires: undefined, metrics: {} }] });
    await m.next((e) => e.type === T.INITIAL_STATE_TRANSFER, "initial state");
    const a = await t.request(nscRequest({ name: "nsc-a" }));
    const b = await t.request(nscRequest({ name: "nsc-b" }));
    await m.next(of(T.UPDATE, b.id), "UPDATE of nsc-b");
    await t.close(a);
    await t.close(b);
    await m.next(of(T.DELETE, b.id), "DELETE of nsc-b");
    expect(m.events.some((e) => a.id in e.connections)).toBe(false);
  });

  it("selects by our own segment id (as an NSC's heal monitor does)", async () => {
    t = await startTestNse();
    const a = await t.request(nscRequest({ name: "nsc-a" }));
    await t.request(nscRequest({ name: "nsc-b" }));
    const m = open({
      pathSegments: [{ name: "nse-test", id: a.id, token: "", expires: undefined, metrics: {} }],
    });
    const initial = await m.next((e) => e.type === T.INITIAL_STATE_TRANSFER, "initial state");
    expect(ids(initial)).toEqual([a.id]);
  });

  it("selects by network service", async () => {
    t = await startTestNse({ env: { NSM_SERVICE_NAMES: `${SERVICE},vl3-other` } });
    const m = open({ ...byEndpoint(), networkServices: ["vl3-other"] });
    await m.next((e) => e.type === T.INITIAL_STATE_TRANSFER, "initial state");
    const mine = await t.request(nscRequest({ name: "nsc-a" }));
    const req = nscRequest({ name: "nsc-b" });
    const other = await t.request({ ...req, connection: { ...req.connection, networkService: "vl3-other" } });
    await m.next(of(T.UPDATE, other.id), "UPDATE of the vl3-other connection");
    expect(m.events.some((e) => mine.id in e.connections)).toBe(false);
  });
});

describe("expiry", () => {
  it("closes a connection whose NSC does not refresh before its segment expires", async () => {
    t = await startTestNse();
    const m = open();
    await m.next((e) => e.type === T.INITIAL_STATE_TRANSFER, "initial state");
    const conn = await t.request(nscRequest({ name: "nsc-a", expires: new Date(Date.now() + 300) }));
    expect(t.nse.endpoint.addressing().addresses.used).toBe(1);
    await m.next(of(T.DELETE, conn.id), "DELETE after expiry");
    await waitFor(async () => (await t!.dataplane.dump()).length === 0, "the data plane to be empty");
    expect(t.nse.endpoint.addressing().addresses.used).toBe(0);
    expect(t.nse.endpoint.events.snapshot()).toEqual([]);
  });

  it("keeps a connection whose NSC refreshes in time", async () => {
    t = await startTestNse();
    const m = open();
    const conn = await t.request(nscRequest({ name: "nsc-a", expires: new Date(Date.now() + 1000) }));
    // Refresh with a later expiry on the NSC's segment before the first one runs out.
    const refreshed = refreshOf(conn);
    refreshed.connection!.path!.pathSegments![0]!.expires = new Date(Date.now() + 60_000);
    await t.request(refreshed);
    // Bounded wait past the first expiry: no DELETE comes.
    await new Promise((r) => setTimeout(r, 1500));
    expect(m.events.some((e) => e.type === T.DELETE)).toBe(false);
    expect(t.nse.endpoint.addressing().addresses.used).toBe(1);
  });
});
