// The sandbox nsmgr closes downstream for a client whose monitor call ended with its transport
// (client-gone.ts). The owner a monitor call names is only its selector's first segment: another
// identity naming a live NSC there and then dropping its socket must not get that NSC's connection
// closed, nor may its own identity over another socket while the NSC's own transport lives. (A client
// whose own transport dies is closed for: test/integration/mesh/crash.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ConnectionEvent,
  ConnectionEventType,
  MonitorConnectionClient,
} from "../../../src/grpc/gen/networkservice/connection.js";
import { targetOf } from "../../support/endpoint.js";
import { eventually, expectFullMesh, Mesh } from "../mesh/helpers.js";

let mesh: Mesh;

beforeAll(async () => {
  mesh = await Mesh.start(); // the sandbox default: mTLS and path tokens on every hop
  await mesh.startEndpoint("nse-a", 0);
  await eventually(() => expectFullMesh(mesh), 20_000);
});

afterAll(async () => {
  await mesh?.stop();
});

/**
 * As `who` (its own SVID): monitor calls on nsmgr-0, one per selector (nsc-1's segment by `id`, "" for its
 * name alone; null for an empty selector), then its socket cut. Returns what each initial state showed.
 */
async function watchAndDie(who: string, ids: Array<string | null>): Promise<string[][]> {
  const { transport } = await mesh.sb.trustDomain!.security(who, "default");
  // A connection of its own: nsc-1's identity has the NSC's credentials, whose connection must not be shared.
  const monitor = transport.client(MonitorConnectionClient, targetOf(mesh.sb.nsmgrs[0]!.url), {
    channelOptions: { "grpc.use_local_subchannel_pool": 1 },
  });
  const shown: string[][] = [];
  for (const id of ids) {
    const stream = monitor.monitorConnections({
      pathSegments: id === null ? [] : [{ name: "nsc-1", id, token: "", expires: undefined, metrics: {} }],
      networkServices: [],
    });
    stream.on("error", () => {}); // cancelled below: the error it reports is ours
    shown.push(
      await new Promise<string[]>((resolve) =>
        stream.on(
          "data",
          (e: ConnectionEvent) =>
            e.type === ConnectionEventType.INITIAL_STATE_TRANSFER && resolve(Object.keys(e.connections)),
        ),
      ),
    );
    stream.cancel();
  }
  monitor.getChannel().close(); // its socket ends: what the nsmgr takes for a client that died
  return shown;
}

/** Closes the endpoint serving nsc-1 answered from now on (an NSC's refresh meanwhile is no Close). */
function closesAt(name: string): () => number {
  let closes = 0;
  mesh.nse(name).endpoint.onSignal((s) => {
    if (s.type === "close" && s.outcome === "ok") closes++;
  });
  return () => closes;
}

describe("a monitor call naming nsc-1's segment, then cut with its transport", () => {
  it("by another identity: nsc-1's connection is neither shown nor closed", async () => {
    const nsc = await mesh.sb.startClient("nsc-1", { node: 0 });
    const victim = nsc.connection!;
    const closes = closesAt(victim.networkServiceEndpointName);
    // By name alone (any client can learn it), by the exact segment, and with an empty selector. It is
    // shown none of nsc-1's connections (NSM's rule: only a path it signed a segment of).
    expect(await watchAndDie("intruder", ["", victim.path!.pathSegments[0]!.id, null])).toEqual([[], [], []]);
    // A sleep only to show that nothing happens: the nsmgr decides within 2 s of the call's end.
    await new Promise((r) => setTimeout(r, 3000));
    expect(closes()).toBe(0);
    expect(nsc.heals).toBe(0);
  });

  it("by nsc-1's own identity over another socket: shown, believed, but nsc-1 requested over a live one, so nothing is closed", async () => {
    // The nsmgr closes for a client only what it requested over a transport that ended too (a restart
    // of the same identity, or a second process of it, keeps its connections).
    const nsc = mesh.sb.clients[0]!;
    const closes = closesAt(nsc.connection!.networkServiceEndpointName);
    expect(await watchAndDie("nsc-1", [""])).toEqual([[nsc.connection!.id]]);
    // A sleep only to show that nothing happens: the nsmgr decides within 2 s of the call's end.
    await new Promise((r) => setTimeout(r, 3000));
    expect(closes()).toBe(0);
    expect(nsc.heals).toBe(0);
  });
});
