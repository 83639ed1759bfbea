// SVID rotation in the middle of a running sandbox mesh (every participant on SPIFFE mTLS): every
// SVID is re-issued at once; every connection and peer link stays up through refreshes on the old
// connections, and a new handshake, in or out, presents the new certificate.
import { setTimeout as sleep } from "node:timers/promises";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LifecycleSignal } from "../../../src/actors/observe.js";
import {
  HealthClient,
  type HealthServer,
  HealthService,
  HealthCheckResponse_ServingStatus as Serving,
} from "../../../src/grpc/gen/grpc/health/v1/health.js";
import { peerCertificate } from "../../../src/grpc/peer-identity.js";
import type { Transport } from "../../../src/grpc/transport.js";
import type { SandboxNamespace } from "../../../src/sandbox/trust-domain.js";
import { eventually, expectClientsServed, expectFullMesh, Mesh, QUICK } from "../mesh/helpers.js";

const NSES = ["nse-a", "nse-b", "nse-c"];

describe("SVID rotation in a running sandbox mesh", () => {
  let mesh: Mesh;
  const downs: string[] = [];

  beforeAll(async () => {
    // Lifetimes long enough that a loaded machine does not let links lapse, short enough that the
    // window below sees refreshes on the connections made before the rotation.
    mesh = await Mesh.start({ ...QUICK, lifetimeMs: 6000, registryExpiryMs: 4000 });
    await Promise.all(NSES.map((n, i) => mesh.startEndpoint(n, i % 2)));
    for (const i of [0, 1, 2, 3]) await mesh.sb.startClient(`nsc-${i}`, { node: i % 2 });
    await eventually(() => expectFullMesh(mesh), 20_000);
    await eventually(() => expectClientsServed(mesh), 20_000);
    for (const n of NSES) {
      mesh.nse(n).endpoint.onSignal((s: LifecycleSignal) => {
        if (s.type === "peer" && !s.up) downs.push(`${n}: peer ${s.name} down`);
        if (s.type === "transition" && /^(healing|closing|closed|failed)/.test(s.to))
          downs.push(`${n}: ${s.id} ${s.from} → ${s.to}`);
      });
    }
  }, 60_000);

  afterAll(() => mesh?.stop());

  const identityOf = async (name: string, ns: SandboxNamespace) =>
    (await mesh.sb.trustDomain!.security(name, ns)).identity!;

  it("keeps every connection and link up, and new handshakes use the new certificates", async () => {
    const td = mesh.sb.trustDomain!;
    const participants: [string, SandboxNamespace][] = [
      ...NSES.map((n) => [n, "vl3"] as [string, SandboxNamespace]),
      ["nsmgr-0", "nsm-system"],
      ["nsmgr-1", "nsm-system"],
      ["registry", "nsm-system"],
      ["prefix-server", "nsm-system"],
    ];
    const before = new Map<string, string>();
    for (const [n, ns] of participants) before.set(n, (await identityOf(n, ns)).current()!.leaf.serialNumber);
    const clientsBefore = mesh.sb.clients.map((c) => `${c.name} ${c.connection?.id} ${c.address}`);
    const tree = () =>
      NSES.map((n) =>
        mesh
          .nse(n)
          .endpoint.tree()
          .children.map((c) => `${c.id} ${c.state}`)
          .sort(),
      );
    const treeBefore = tree();

    await td.rotate();
    for (const [n, ns] of participants) {
      const source = await identityOf(n, ns);
      await eventually(() => expect(source.current()!.leaf.serialNumber).not.toBe(before.get(n)), 10_000);
    }

    // Shows that nothing goes down (a window of refreshes, at a third of the 6 s lifetime, on the
    // connections made before the rotation), so it waits a fixed time.
    await sleep(5000);
    expect(downs).toEqual([]);
    await expectFullMesh(mesh);
    expectClientsServed(mesh);
    expect(mesh.sb.clients.map((c) => `${c.name} ${c.connection?.id} ${c.address}`)).toEqual(clientsBefore);
    expect(tree().map((ids) => ids.map((s) => s.split(" ")[0]))).toEqual(
      treeBefore.map((ids) => ids.map((s) => s.split(" ")[0])),
    );

    // New handshakes: a probe dials nse-a (sees its new certificate), nse-a's transport dials the probe
    // (presents its new certificate). Own subchannels, so no connection made before is reused.
    const probe = await mesh.sb.trustDomain!.security("probe", "default");
    const seen: string[] = [];
    const server = probe.transport.server();
    const impl: HealthServer = {
      check: (call, cb) => {
        seen.push(peerCertificate(call)!.serialNumber);
        cb(null, { status: Serving.SERVING });
      },
      watch: (call) => call.end(),
    };
    server.addService(HealthService, impl);
    const url = await probe.transport.bind(server, "tcp://127.0.0.1:0");
    try {
      const nseA = await mesh.sb.trustDomain!.security("nse-a", "vl3");
      const nseASerial = nseA.identity!.current()!.leaf.serialNumber;
      await check(nseA.transport, url);
      expect(seen).toEqual([nseASerial]);
      const served = await check(probe.transport, mesh.nse("nse-a").url);
      expect(served).toBe(nseASerial);
      expect(served).not.toBe(before.get("nse-a"));
    } finally {
      await probe.transport.shutdown(server, { force: true });
    }
  }, 60_000);
});

function check(transport: Transport, url: Parameters<Transport["client"]>[1]): Promise<string | undefined> {
  const client = transport.client(HealthClient, url, {
    channelOptions: { "grpc.use_local_subchannel_pool": 1 },
  });
  return new Promise((resolve, reject) => {
    const call = client.check(
      { service: "" },
      new grpc.Metadata(),
      { deadline: Date.now() + 5000 },
      (err) => {
        client.close();
        if (err) reject(err);
        else resolve(peerCertificate(call)?.serialNumber);
      },
    );
  });
}
