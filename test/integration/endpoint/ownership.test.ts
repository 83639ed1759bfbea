// Take-over through a real socket: a connection belongs to the client whose path segment comes
// first. Another client naming it in a Request or Close gets PERMISSION_DENIED and changes nothing;
// a monitor stream that does not say whose connections it wants is told nothing.
import { afterEach, describe, expect, it } from "vitest";
import {
  type Connection,
  ConnectionEventType as T,
} from "../../../src/grpc/gen/networkservice/connection.js";
import {
  codeOf,
  type MonitorStream,
  nscRequest,
  refreshOf,
  startTestNse,
  type TestNse,
  watch,
} from "../../support/endpoint.js";

let t: TestNse | undefined;
const streams: MonitorStream[] = [];
afterEach(async () => {
  for (const s of streams.splice(0)) s.cancel();
  await t?.stop();
  t = undefined;
});

const seg = (name: string, id: string) => ({ name, id, token: "", expires: undefined, metrics: {} });

/** The victim's connection as an attacker would name it: its own first segment, the victim's NSE segment. */
function hijack(victim: Connection, attacker = "nsc-evil"): Connection {
  const ours = victim.path!.pathSegments[1]!;
  return {
    ...victim,
    id: `${attacker}-conn`,
    path: { index: 0, pathSegments: [seg(attacker, `${attacker}-conn`), ours] },
  };
}

async function failure(work: Promise<unknown>): Promise<{ code: string; details: string }> {
  try {
    await work;
  } catch (e) {
    return { code: codeOf(e), details: (e as { details?: string }).details ?? "" };
  }
  throw new Error("the call succeeded");
}

describe("ownership (take-over)", () => {
  it("denies a Request that names another client's connection, and leaves it as it was", async () => {
    t = await startTestNse();
    const victim = await t.request(nscRequest({ name: "nsc-a" }));
    const f = await failure(t.request({ connection: hijack(victim) }));
    expect(f.code).toBe("PERMISSION_DENIED");
    expect(f.details).toContain("connection.path.path_segments[0]");
    expect(t.nse.endpoint.addressing().addresses.used).toBe(1);
    // The owner still refreshes it and keeps its address.
    const again = await t.request(refreshOf(victim));
    expect(again.context!.ipContext!.srcIpAddrs).toEqual(victim.context!.ipContext!.srcIpAddrs);
  });

  it("denies a Close by another client, also a bare Connection{id}", async () => {
    t = await startTestNse();
    const victim = await t.request(nscRequest({ name: "nsc-a" }));
    expect((await failure(t.close(hijack(victim)))).code).toBe("PERMISSION_DENIED");
    expect((await failure(t.close({ ...victim, path: undefined }))).code).toBe("PERMISSION_DENIED");
    expect(t.nse.endpoint.addressing().addresses.used).toBe(1);
    expect(t.nse.endpoint.events.snapshot().map((c) => c.id)).toEqual([victim.id]);
    // Its owner closes it.
    await t.close(victim);
    expect(t.nse.endpoint.addressing().addresses.used).toBe(0);
  });

  it("keeps a closed connection's id for its owner: no one else can take it over, its owner can come back", async () => {
    t = await startTestNse();
    const victim = await t.request(nscRequest({ name: "nsc-a" }));
    await t.close(victim);
    const f = await failure(t.request({ connection: hijack(victim) }));
    expect(f.code).toBe("PERMISSION_DENIED");
    expect(t.nse.endpoint.addressing().addresses.used).toBe(0);
    // The owner re-requests it by its id, as a healing NSC does.
    const back = await t.request(refreshOf(victim));
    expect(back.id).toBe(victim.id);
  });

  it("keeps a closed connection's id for its owner through churn; when full, new ids are refused, not owners forgotten", async () => {
    t = await startTestNse({ env: { NSM_MAX_ENDED_CONNECTIONS: "4" } });
    const victim = await t.request(nscRequest({ name: "nsc-a" }));
    await t.close(victim);
    // Churn: other clients come and go until the ids held are at the bound.
    for (let i = 0; i < 3; i++) await t.close(await t.request(nscRequest({ name: `nsc-churn-${i}` })));
    const full = await failure(t.request(nscRequest({ name: "nsc-late" })));
    expect(full.code).toBe("RESOURCE_EXHAUSTED");
    expect(full.details).toContain("NSM_MAX_ENDED_CONNECTIONS");
    // The closed connection is still its owner's: a take-over is denied, its owner gets it back.
    expect((await failure(t.request({ connection: hijack(victim) }))).code).toBe("PERMISSION_DENIED");
    const back = await t.request(refreshOf(victim));
    expect(back.id).toBe(victim.id);
  });

  it("lists nothing to a monitor with an empty selector; a path-segment selector still works", async () => {
    t = await startTestNse();
    const a = await t.request(nscRequest({ name: "nsc-a" }));
    const anyone = watch(t.monitor);
    const owner = watch(t.monitor, { pathSegments: [seg("nsc-a", "")] });
    streams.push(anyone, owner);
    const initial = await owner.next((e) => e.type === T.INITIAL_STATE_TRANSFER, "initial state");
    expect(Object.keys(initial.connections)).toEqual([a.id]);
    const empty = await anyone.next((e) => e.type === T.INITIAL_STATE_TRANSFER, "initial state");
    expect(empty.connections).toEqual({});
    const b = await t.request(nscRequest({ name: "nsc-b" }));
    await t.close(b);
    await t.close(a);
    await owner.next((e) => e.type === T.DELETE && a.id in e.connections, "DELETE of nsc-a");
    expect(anyone.events.every((e) => Object.keys(e.connections).length === 0)).toBe(true);
  });
});
