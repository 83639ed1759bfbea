// SPIFFE mTLS through the transport seam, real grpc-js servers and clients on loopback and unix
// sockets: both sides see each other's SPIFFE ID; plain text, another trust domain, an unaccepted ID
// and a chain anchored in the wrong domain are refused; a rotation keeps live streams up while new
// handshakes present the new certificates.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { currentFdConnection, withFdPassing } from "../../../src/grpc/fd-transport.js";
import {
  HealthClient,
  type HealthServer,
  HealthService,
  HealthCheckResponse_ServingStatus as Serving,
} from "../../../src/grpc/gen/grpc/health/v1/health.js";
import { peerCertificate, peerSpiffeId } from "../../../src/grpc/peer-identity.js";
import { Transport } from "../../../src/grpc/transport.js";
import { authorizerFrom, sameTrustDomain } from "../../../src/security/authorizer.js";
import { createCertificateAuthority, issueIdentity } from "../../../src/security/ca.js";
import { SpiffeCredentials } from "../../../src/security/credentials.js";
import { fdAvailable, fdSkipReason } from "../../support/fd/native.js";
import { ManualIdentitySource } from "../../support/security.js";
import { eventually } from "../mesh/helpers.js";

const A = await createCertificateAuthority({ trustDomain: "a.test" });
const B = await createCertificateAuthority({ trustDomain: "b.test" });
const SERVER_ID = "spiffe://a.test/ns/vl3/pod/nse-1";
const CLIENT_ID = "spiffe://a.test/ns/nsm-system/pod/nsmgr-1";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Health server that records the SPIFFE ID and serial of each caller it sees. */
async function serve(transport: Transport, url = "tcp://127.0.0.1:0", onCheck?: () => void) {
  const seen: { id?: string; serial?: string }[] = [];
  const watches = new Set<grpc.ServerWritableStream<unknown, unknown>>();
  const impl: HealthServer = {
    check: (call, cb) => {
      onCheck?.();
      seen.push({ id: peerSpiffeId(call), serial: peerCertificate(call)?.serialNumber });
      cb(null, { status: Serving.SERVING });
    },
    watch: (call) => {
      watches.add(call);
      call.write({ status: Serving.SERVING });
      call.on("cancelled", () => watches.delete(call));
    },
  };
  const server = transport.server();
  server.addService(HealthService, impl);
  const bound = await transport.bind(server, url);
  cleanups.push(() => transport.shutdown(server, { force: true }));
  return { url: bound, seen, watches };
}

/** `own` gives the client a subchannel of its own, so it handshakes anew instead of sharing one. */
function dial(transport: Transport, url: Parameters<Transport["client"]>[1], own = false) {
  const channelOptions = own ? { "grpc.use_local_subchannel_pool": 1 } : {};
  const client = transport.client(HealthClient, url, { channelOptions });
  cleanups.push(() => client.close());
  return client;
}

function check(client: HealthClient): Promise<{ serverId?: string; serverSerial?: string }> {
  return new Promise((resolve, reject) => {
    const call = client.check(
      { service: "" },
      new grpc.Metadata(),
      { deadline: Date.now() + 5000 },
      (err) => {
        if (err) reject(err);
        else resolve({ serverId: peerSpiffeId(call), serverSerial: peerCertificate(call)?.serialNumber });
      },
    );
  });
}

const spiffe = (source: ManualIdentitySource, authorize = sameTrustDomain) =>
  new Transport({ credentials: new SpiffeCredentials(source, authorize) });

describe("SPIFFE mTLS on every channel", () => {
  it("both sides see each other's SPIFFE ID, over TCP and over a unix socket", async () => {
    const server = spiffe(new ManualIdentitySource(await issueIdentity(A, SERVER_ID, 60_000)));
    const client = spiffe(new ManualIdentitySource(await issueIdentity(A, CLIENT_ID, 60_000)));
    const dir = mkdtempSync(join(tmpdir(), "vl3-mtls-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    for (const listen of ["tcp://127.0.0.1:0", `unix://${join(dir, "nse.sock")}`]) {
      const s = await serve(server, listen);
      expect(await check(dial(client, s.url))).toMatchObject({ serverId: SERVER_ID });
      expect(s.seen.at(-1)?.id).toBe(CLIENT_ID);
    }
  });

  it("refuses plain text both ways", async () => {
    const secured = spiffe(new ManualIdentitySource(await issueIdentity(A, SERVER_ID, 60_000)));
    const s = await serve(secured);
    await expect(check(dial(new Transport(), s.url))).rejects.toMatchObject({
      code: grpc.status.UNAVAILABLE,
    });
    const plain = await serve(new Transport());
    const client = spiffe(new ManualIdentitySource(await issueIdentity(A, CLIENT_ID, 60_000)));
    await expect(check(dial(client, plain.url))).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    expect(s.seen).toEqual([]);
  });

  it("refuses a client of another trust domain, and a server of another trust domain", async () => {
    const server = spiffe(new ManualIdentitySource(await issueIdentity(A, SERVER_ID, 60_000)));
    const s = await serve(server);
    // B's client trusts A's bundle too (federated), but A's server does not trust B.
    const foreign = spiffe(
      new ManualIdentitySource(await issueIdentity(B, "spiffe://b.test/intruder", 60_000, [A])),
    );
    await expect(check(dial(foreign, s.url))).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    expect(s.seen).toEqual([]);
    // The other way: A's client must not accept B's server even when it federates with B.
    const bServer = await serve(
      spiffe(new ManualIdentitySource(await issueIdentity(B, "spiffe://b.test/nse", 60_000, [A]))),
    );
    const aClient = spiffe(new ManualIdentitySource(await issueIdentity(A, CLIENT_ID, 60_000, [B])));
    const err = await check(dial(aClient, bServer.url)).catch((e: grpc.ServiceError) => e);
    expect(err).toMatchObject({ code: grpc.status.UNAVAILABLE });
    expect((err as grpc.ServiceError).details).toContain("not in the trust domain a.test");
  });

  it("a federated client is refused by the default authorizer with the reason, per call", async () => {
    const server = spiffe(new ManualIdentitySource(await issueIdentity(A, SERVER_ID, 60_000, [B])));
    const s = await serve(server);
    // The foreign client itself accepts a.test servers; only the server's authorizer refuses it.
    const foreign = spiffe(
      new ManualIdentitySource(await issueIdentity(B, "spiffe://b.test/w", 60_000, [A])),
      authorizerFrom(["spiffe://a.test"], "test"),
    );
    const err = await check(dial(foreign, s.url)).catch((e: grpc.ServiceError) => e);
    expect(err).toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    expect((err as grpc.ServiceError).details).toContain(
      "spiffe://b.test/w is not in the trust domain a.test",
    );
  });

  it("a leaf claiming our trust domain but signed by a federated domain's CA is refused", async () => {
    // B's CA cannot mint a.test IDs itself; a CA named b.test minting for a.test is what we forge.
    const forger = await createCertificateAuthority({ trustDomain: "a.test" });
    const forged = await issueIdentity(forger, "spiffe://a.test/ns/nsm-system/pod/nsmgr-1", 60_000);
    // The server trusts A, and also "c.test" whose CA happens to be the forger's.
    const base = await issueIdentity(A, SERVER_ID, 60_000);
    const bundles = new Map(base.bundles);
    bundles.set("c.test", forger.bundle);
    const s = await serve(spiffe(new ManualIdentitySource({ ...base, bundles })));
    const client = spiffe(
      new ManualIdentitySource({
        ...forged,
        bundles: new Map([...forged.bundles, ["a.test", [...forger.bundle, ...A.bundle]]]),
      }),
    );
    const err = await check(dial(client, s.url)).catch((e: grpc.ServiceError) => e);
    expect(err).toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    expect((err as grpc.ServiceError).details).toContain("not signed by a CA of its own trust domain");
  });

  it("accepted SPIFFE IDs are configurable", async () => {
    const only = authorizerFrom(["spiffe://a.test/ns/vl3/*"], "NSM_ALLOWED_SPIFFE_IDS");
    const s = await serve(spiffe(new ManualIdentitySource(await issueIdentity(A, SERVER_ID, 60_000)), only));
    const peer = spiffe(
      new ManualIdentitySource(await issueIdentity(A, "spiffe://a.test/ns/vl3/pod/nse-2", 60_000)),
    );
    expect(await check(dial(peer, s.url))).toMatchObject({ serverId: SERVER_ID });
    const other = spiffe(new ManualIdentitySource(await issueIdentity(A, CLIENT_ID, 60_000)));
    const err = await check(dial(other, s.url)).catch((e: grpc.ServiceError) => e);
    expect(err).toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    expect((err as grpc.ServiceError).details).toContain("NSM_ALLOWED_SPIFFE_IDS");
  });

  it("rotation: a live stream stays up on its connection; new handshakes present the new SVIDs", async () => {
    const serverSource = new ManualIdentitySource(await issueIdentity(A, SERVER_ID, 60_000));
    const clientSource = new ManualIdentitySource(await issueIdentity(A, CLIENT_ID, 60_000));
    const serverT = spiffe(serverSource);
    const clientT = spiffe(clientSource);
    const s = await serve(serverT);
    const client = dial(clientT, s.url);
    const before = await check(client);
    const watch = client.watch({ service: "" });
    const ended: unknown[] = [];
    watch.on("error", (e) => ended.push(e));
    watch.on("end", () => ended.push("end"));
    await eventually(() => expect(s.watches.size).toBe(1), 5000);

    serverSource.set(await issueIdentity(A, SERVER_ID, 60_000));
    clientSource.set(await issueIdentity(A, CLIENT_ID, 60_000));
    // The old connection is not dropped: the same client still answers, over the same handshake.
    const again = await check(client);
    expect(again.serverSerial).toBe(before.serverSerial);
    expect(ended).toEqual([]);
    expect(s.watches.size).toBe(1);

    // A new channel handshakes anew: both sides present the rotated certificates.
    const fresh = await check(dial(clientT, s.url, true));
    expect(fresh.serverSerial).toBe(serverSource.current()!.leaf.serialNumber);
    expect(s.seen.at(-1)?.serial).toBe(clientSource.current()!.leaf.serialNumber);
    watch.cancel();
  });
});

describe.skipIf(!fdAvailable)(
  `SPIFFE mTLS over fd-capable unix sockets (NSM's grpcfd)${fdSkipReason}`,
  () => {
    it("TLS runs on top of the fd layer: both sides see each other's SPIFFE ID, on an fd connection", async () => {
      const server = withFdPassing(
        spiffe(new ManualIdentitySource(await issueIdentity(A, SERVER_ID, 60_000))),
        true,
      );
      const client = withFdPassing(
        spiffe(new ManualIdentitySource(await issueIdentity(A, CLIENT_ID, 60_000))),
        true,
      );
      const dir = mkdtempSync(join(tmpdir(), "vl3-mtls-fd-"));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      let onFd = false;
      const s = await serve(server.transport, `unix://${join(dir, "nse.sock")}`, () => {
        onFd = currentFdConnection() !== undefined;
      });
      expect(await check(dial(client.transport, s.url))).toMatchObject({ serverId: SERVER_ID });
      expect(s.seen.at(-1)?.id).toBe(CLIENT_ID);
      expect(onFd).toBe(true);
    });
  },
);
