// The dialling side of a peer link applies NSM's client policies on Close too (as NSM's authorize
// client does): over real SPIFFE mTLS to an nsmgr stand-in that stamps and checks tokens, a link whose
// stored path still passes is closed; one whose stored path no longer passes (the nsmgr's segment not
// signed by the nsmgr that answered) is not sent, and left to expire.
import type * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { updatePath } from "../../../src/chain/updatepath.js";
import type { Connection } from "../../../src/grpc/gen/networkservice/connection.js";
import {
  type NetworkServiceRequest,
  NetworkServiceService,
} from "../../../src/grpc/gen/networkservice/networkservice.js";
import { type NsmgrPeerLinksOptions, nsmgrPeerLinks } from "../../../src/grpc/peer-links.js";
import { toServiceError } from "../../../src/grpc/status.js";
import { Transport } from "../../../src/grpc/transport.js";
import { AddressPool } from "../../../src/ipam/address-pool.js";
import { parseCidr } from "../../../src/ipam/cidr.js";
import { silentLogger } from "../../../src/log.js";
import { pathGuard } from "../../../src/sandbox/path-guard.js";
import { sameTrustDomain } from "../../../src/security/authorizer.js";
import { createCertificateAuthority, issueIdentity } from "../../../src/security/ca.js";
import { SpiffeCredentials } from "../../../src/security/credentials.js";
import { fixedIdentitySource, type Identity } from "../../../src/security/identity.js";
import { type PathSecurity, pathSecurity } from "../../../src/security/path-security.js";

const CA = await createCertificateAuthority({ trustDomain: "a.test" });
const NSMGR = await issueIdentity(CA, "spiffe://a.test/ns/nsm-system/pod/nsmgr-1", 3_600_000);
const NSE = await issueIdentity(CA, "spiffe://a.test/ns/vl3/pod/nse-1", 3_600_000);

const transportOf = (identity: Identity) =>
  new Transport({ credentials: new SpiffeCredentials(fixedIdentitySource(identity), sameTrustDomain) });
const tokensOf = (identity: Identity) =>
  pathSecurity({ identity: fixedIdentitySource(identity), maxTokenLifetimeMs: 60_000 })!;

let stop: () => Promise<void>;
let links: ReturnType<typeof nsmgrPeerLinks>;
let linksWith: (extra?: Partial<NsmgrPeerLinksOptions>) => ReturnType<typeof nsmgrPeerLinks>;
const everyLinks: Array<ReturnType<typeof nsmgrPeerLinks>> = [];
const closed: string[] = [];

beforeAll(async () => {
  // The nsmgr stand-in: NSM's updatepath, updatetoken and authorize on Request and Close; answers at once.
  const nsmgr = transportOf(NSMGR);
  const guard = pathGuard("nsmgr-1", tokensOf(NSMGR));
  const server = nsmgr.server();
  server.addService(NetworkServiceService, {
    request: (
      call: grpc.ServerUnaryCall<NetworkServiceRequest, Connection>,
      cb: grpc.sendUnaryData<Connection>,
    ) => {
      const incoming = call.request.connection!;
      guard
        .request(updatePath(incoming, { name: "nsmgr-1", maxTokenLifetimeMs: 60_000 }).connection, call)
        .then(
          (c) => cb(null, { ...c, path: { ...c.path!, index: 0 } }),
          (err: Error) => cb(toServiceError(err) as grpc.ServiceError),
        );
    },
    close: (call: grpc.ServerUnaryCall<Connection, object>, cb: grpc.sendUnaryData<object>) => {
      guard.close(call.request, call).then(
        () => {
          closed.push(call.request.path!.pathSegments[0]!.id);
          cb(null, {});
        },
        (err: Error) => cb(toServiceError(err) as grpc.ServiceError),
      );
    },
  } as never);
  const url = await nsmgr.bind(server, "tcp://127.0.0.1:0");
  linksWith = (extra = {}) => {
    const security: PathSecurity = tokensOf(NSE);
    const made = nsmgrPeerLinks({
      target: url,
      transport: transportOf(NSE).withPathTokens(security.generate),
      self: "nse-1",
      service: "vl3",
      requestLabels: {},
      mechanism: "KERNEL",
      addressing: () => ({
        pool: parseCidr("172.16.0.0/16"),
        addresses: new AddressPool("172.16.1.0/24"),
        extraRoutes: [],
      }),
      lifetimeMs: 60_000,
      timeoutMs: 5000,
      log: silentLogger(),
      authorize: { verifier: security.verifier, keys: security.keys },
      ...extra,
    });
    everyLinks.push(made);
    return made;
  };
  links = linksWith();
  stop = () => nsmgr.shutdown(server, { force: true });
});

afterAll(async () => {
  for (const l of everyLinks) l.dispose();
  await stop?.();
});

const idOf = (link: Connection) => link.path!.pathSegments[0]!.id;

describe("closing a peer link with path tokens on", () => {
  it("sends the Close of a link whose stored path passes the client policies", async () => {
    const link = await links.request({ name: "nse-2", url: "" });
    expect(link.path!.pathSegments.map((s) => s.name)).toEqual(["nse-1", "nsmgr-1"]);
    await links.close({ name: "nse-2", link });
    expect(closed).toContain(idOf(link));
  });

  it("does not send it when the stored path no longer passes (the nsmgr's segment not signed by it)", async () => {
    const link = await links.request({ name: "nse-3", url: "" });
    const [ours, nsmgr] = link.path!.pathSegments;
    // The nsmgr's segment now holds a token of ours: the stored path fails the client policies (the
    // stand-in would accept the Close: it stamps its own segment afresh).
    const tampered = {
      ...link,
      path: { index: 0, pathSegments: [ours!, { ...nsmgr!, token: ours!.token }] },
    };
    await links.close({ name: "nse-3", link: tampered });
    expect(closed).not.toContain(idOf(link));
  });

  it("still sends it for a link refreshed since, when more links than remembered came and went", async () => {
    // Two answering nsmgrs remembered at most: a refresh must count as the link's latest use, so the
    // links that came after it push out the one never refreshed, not the live one.
    const few = linksWith({ answeredMax: 2 });
    const live = await few.request({ name: "nse-4", url: "" });
    await few.request({ name: "nse-5", url: "" });
    const refreshed = await few.request({ name: "nse-4", url: "", link: live });
    await few.request({ name: "nse-6", url: "" });
    await few.close({ name: "nse-4", link: refreshed });
    expect(closed).toContain(idOf(live));
  });
});
