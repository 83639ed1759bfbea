// The sandbox nsmgr closes downstream for a client whose monitor call ended with its transport
// (client-gone.ts). The owner a monitor call names is only its selector's first segment: another
// identity naming a live NSC there and then dropping its socket must not get that NSC's connection closed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
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

const count = (name: string) =>
  mesh
    .nse(name)
    .endpoint.tree()
    .children.filter((c) => c.kind === "connection" && c.subject.kind !== "peer").length;

/** As `who` (its own SVID): a monitor call on nsmgr-0 naming nsc-1's segment (`id`: "" for its name alone), then the socket cut. */
async function watchAndDie(who: string, ids: string[]) {
  const { transport } = await mesh.sb.trustDomain!.security(who, "default");
  const monitor = transport.client(MonitorConnectionClient, targetOf(mesh.sb.nsmgrs[0]!.url));
  for (const id of ids) {
    const stream = monitor.monitorConnections({
      pathSegments: [{ name: "nsc-1", id, token: "", expires: undefined, metrics: {} }],
      networkServices: [],
    });
    stream.on("error", () => {}); // cancelled below: the error it reports is ours
    await new Promise<void>((resolve) =>
      stream.on("data", (e) => e.type === ConnectionEventType.INITIAL_STATE_TRANSFER && resolve()),
    );
    stream.cancel();
  }
  monitor.getChannel().close(); // its socket ends: what the nsmgr takes for a client that died
}

describe("a monitor call naming nsc-1's segment, then cut with its transport", () => {
  it("by another identity: nsc-1's connection is not closed", async () => {
    const nsc = await mesh.sb.startClient("nsc-1", { node: 0 });
    const victim = nsc.connection!;
    expect(count(victim.networkServiceEndpointName)).toBe(1);
    // By name alone (any client can learn it) and by the exact segment (the nsmgr's events show it).
    await watchAndDie("intruder", ["", victim.path!.pathSegments[0]!.id]);
    // A sleep only to show that nothing happens: the nsmgr decides within 2 s of the call's end.
    await new Promise((r) => setTimeout(r, 3000));
    expect(count(victim.networkServiceEndpointName)).toBe(1);
    expect(nsc.heals).toBe(0);
  });

  it("by nsc-1's own identity: believed, its connection is closed for it (and it heals)", async () => {
    const nsc = mesh.sb.clients[0]!;
    await watchAndDie("nsc-1", [""]);
    await eventually(() => expect(nsc.heals).toBe(1), 10_000);
  });
});
