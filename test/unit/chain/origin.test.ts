// Which identity of a path authorize trusts (issue 11's review): a segment's `sub` is only a claim
// unless its token verifies with a key bound to that ID (the TLS peer's certificate, a key met for
// that very ID, or an x5c chain anchored in our bundle). A made-up segment 0 signed with the sender's
// own key is never the origin, and ownership falls back to the caller's TLS-bound identity.
import { beforeAll, describe, expect, it } from "vitest";
import { authorizeConnection } from "../../../src/chain/authorize.js";
import type { CallContext } from "../../../src/chain/types.js";
import type { PathSegment } from "../../../src/grpc/gen/networkservice/connection.js";
import { KnownKeys } from "../../../src/security/known-keys.js";
import { signerKeyOf, TokenVerifier } from "../../../src/security/token.js";
import { peerOf, referenceSvids, type Svid } from "../../support/security/svids.js";
import { IDS, signClaims } from "../../support/security/tokens.js";
import { ctx } from "./fixtures.js";

let s: Awaited<ReturnType<typeof referenceSvids>>;
beforeAll(async () => {
  s = await referenceSvids();
});

const seg = (name: string, token: string): PathSegment => ({
  name,
  id: `${name}-id`,
  token,
  expires: undefined,
  metrics: {},
});
const exp = () => Math.floor(Date.now() / 1000) + 60;
/** What E knows: its own trust bundle (x5c anchors) unless told otherwise, and the keys given. */
const keysOf = (o: { bundles?: boolean; known?: Svid[] } = {}) => {
  const keys = new KnownKeys();
  if (o.bundles ?? true) keys.bundles = () => s.E.identity.bundles;
  for (const k of o.known ?? []) keys.add(k.identity.spiffeId, signerKeyOf(k.identity.leaf));
  return keys;
};

/** E authorizes [origin, M2, E] with M2 as its TLS peer; returns what authorize set, or the denial. */
async function atE(origin: string, keys = keysOf(), m2Sub: string = IDS.M2) {
  const t1 =
    m2Sub === IDS.M2
      ? await s.M2.generate(peerOf(s.E))
      : // M2's key, another ID: a caller vouching for a hop it is not (NSM checks the signature only).
        { token: await signClaims({ sub: m2Sub, aud: [IDS.E], exp: exp() }, s.M2.identity.privateKey) };
  const t2 = await s.E.generate(peerOf(s.M2));
  const call: CallContext = { ...ctx(), caller: s.M2.caller };
  const conn = {
    id: "c",
    networkService: "vl3",
    path: {
      index: 2,
      pathSegments: [seg("nse-a", origin), seg("nsmgr-2", t1.token), seg("nse-vl3-1", t2.token)],
    },
  };
  return authorizeConnection(conn as never, call, { verifier: new TokenVerifier(), keys }).then(
    () => ({ origin: call.origin, identity: call.identity, claimed: call.pathIds?.[0] }),
    (e: Error) => ({ denied: e.message }),
  );
}

describe("authorize: only a proven origin is trusted", () => {
  it("trusts a segment 0 whose x5c chain (our bundle) is issued for its sub and signed the token", async () => {
    const token = (await s.C.generate(peerOf(s.M2))).token;
    expect(await atE(token)).toEqual({ origin: IDS.C, identity: IDS.C, claimed: IDS.C });
  });

  it("does not trust a made-up segment 0 signed with the sender's own key (the review's PoC)", async () => {
    const forged = await signClaims({ sub: IDS.E, aud: [IDS.M2], exp: exp() }, s.R.identity.privateKey);
    // It passes NSM's policies (tokens_valid only decodes) but proves nothing: ownership falls back to M2.
    expect(await atE(forged)).toEqual({ origin: undefined, identity: IDS.M2, claimed: IDS.E });
  });

  it("does not trust an x5c it cannot anchor (no bundle for it)", async () => {
    const token = (await s.C.generate(peerOf(s.M2))).token;
    expect(await atE(token, keysOf({ bundles: false }))).toMatchObject({
      origin: undefined,
      identity: IDS.M2,
    });
  });

  it("trusts a key met for exactly that ID, and no other ID's", async () => {
    const plain = await signClaims({ sub: IDS.C, aud: [IDS.M2], exp: exp() }, s.C.identity.privateKey);
    const met = keysOf({ bundles: false, known: [s.C] });
    expect(await atE(plain, met)).toMatchObject({ origin: IDS.C });
    const other = keysOf({ bundles: false, known: [s.R] });
    expect(await atE(plain, other)).toMatchObject({ origin: undefined });
  });

  it("refuses a segment 0 carrying the sender's own x5c under someone else's sub (tokens_signed)", async () => {
    const own = (await s.R.generate(peerOf(s.M2))).token;
    const header = JSON.parse(Buffer.from(own.split(".")[0]!, "base64url").toString());
    const forged = await new (await import("jose")).SignJWT({ sub: IDS.E, aud: [IDS.M2], exp: exp() })
      .setProtectedHeader(header)
      .sign(s.R.identity.privateKey);
    expect(await atE(forged)).toEqual({
      denied: expect.stringMatching(
        /tokens_signed denied: path_segments\[0\] \(nse-a\): x5c certificate is for spiffe:\/\/k8s.nsm\/ns\/nsm-system\/pod\/registry-k8s-1, not the token's sub/,
      ),
    });
  });

  it("refuses a caller segment whose sub is not the TLS peer, though its key signed it (prev_token_signed)", async () => {
    const token = (await s.C.generate(peerOf(s.M1))).token;
    expect(await atE(token, keysOf(), IDS.M1)).toEqual({
      denied: expect.stringMatching(
        /prev_token_signed denied: path_segments\[1\] \(nsmgr-2\): token sub "spiffe:\/\/k8s.nsm\/ns\/nsm-system\/pod\/nsmgr-1" is not the TLS peer/,
      ),
    });
  });
});
