// updatetoken and authorize together, as the reference's vector 7.2 runs them at E (C → M1 → M2 → E):
// the caller's header token goes into its segment, ours is signed for the caller, and the server
// policies accept the chain; each negative vector is refused naming its rule.
import { beforeAll, describe, expect, it } from "vitest";
import { authorize } from "../../../src/chain/authorize.js";
import { RequestError } from "../../../src/chain/errors.js";
import { chain } from "../../../src/chain/types.js";
import { updatepath } from "../../../src/chain/updatepath.js";
import { updatetoken } from "../../../src/chain/updatetoken.js";
import type { PathSegment } from "../../../src/grpc/gen/networkservice/connection.js";
import { KnownKeys } from "../../../src/security/known-keys.js";
import { decodeToken, signerKeyOf, TokenVerifier, verifySignature } from "../../../src/security/token.js";
import { peerOf, referenceSvids } from "../../support/security/svids.js";
import { IDS, signClaims } from "../../support/security/tokens.js";
import { ctx, recorder, req } from "./fixtures.js";

let s: Awaited<ReturnType<typeof referenceSvids>>;
beforeAll(async () => {
  s = await referenceSvids();
});

const seg = (name: string, id: string, token: string): PathSegment => ({
  name,
  id,
  token,
  expires: undefined,
  metrics: {},
});

/** E's keys: none met yet, its trust bundle (C's x5c chain proves C, though E never met it). */
function bundled(): KnownKeys {
  const keys = new KnownKeys();
  keys.bundles = () => s.E.identity.bundles;
  return keys;
}

/** E's chain: updatepath → updatetoken → authorize → recorder. */
function nse(keys = bundled()) {
  const r = recorder();
  const handler = chain(
    [
      updatepath({ name: "nse-vl3-1", maxTokenLifetimeMs: 600_000 }),
      updatetoken({ generate: s.E.generate, maxTokenLifetimeMs: 600_000 }),
      authorize({ verifier: new TokenVerifier(), keys }),
    ],
    r.next,
  );
  return { handler, r };
}

/** The path M2 sends E: seg0 C→[M1], seg1 M1→[M2], seg2 M2's own (its token travels in the header). */
async function fromM2(o: { header?: "missing" | "forged" | "expired" } = {}) {
  const t0 = await s.C.generate(peerOf(s.M1));
  const t1 = await s.M1.generate(peerOf(s.M2));
  const t2 = await s.M2.generate(peerOf(s.E));
  const call = ctx();
  call.caller = s.M2.caller;
  if (o.header === "forged") call.callerToken = await s.M1.generate(peerOf(s.E));
  else if (o.header === "expired")
    call.callerToken = {
      token: await signClaims(
        { sub: IDS.M2, aud: [IDS.E], exp: Math.floor(Date.now() / 1000) - 1 },
        s.M2.identity.privateKey,
      ),
      expires: new Date(),
    };
  else if (o.header !== "missing") call.callerToken = t2;
  const request = req({
    id: "m2-conn",
    networkService: "vl3",
    path: {
      index: 2,
      pathSegments: [
        seg("nsc-1", "c-conn", t0.token),
        seg("nsmgr-1", "m1-conn", t1.token),
        seg("nsmgr-2", "m2-conn", ""),
      ],
    },
  });
  return { request, call };
}

describe("updatetoken + authorize at E (reference §7.2 step 5)", () => {
  it("accepts C → M1 → M2 → E and signs our segment for M2 with E's certificate", async () => {
    const { handler, r } = nse();
    const { request, call } = await fromM2();
    const conn = await handler.request(request, call);
    const segments = conn.path!.pathSegments;
    expect(segments.map((x) => decodeToken(x.token)?.sub)).toEqual([IDS.C, IDS.M1, IDS.M2, IDS.E]);
    expect(decodeToken(segments[3]!.token)!.aud).toEqual([IDS.M2]);
    expect(await verifySignature(segments[3]!.token, signerKeyOf(s.E.identity.leaf))).toBe(true);
    expect(segments[2]!.expires).toBeInstanceOf(Date);
    expect(r.requests[0]!.ctx.pathIds).toEqual([IDS.C, IDS.M1, IDS.M2, IDS.E]);
    expect(r.requests[0]!.ctx.identity).toBe(IDS.C);
    expect(r.requests[0]!.ctx.origin).toBe(IDS.C);
    // Every aud names the next sub: the invariant of §7.2.
    for (let i = 0; i + 1 < segments.length; i++)
      expect(decodeToken(segments[i]!.token)!.aud).toContain(decodeToken(segments[i + 1]!.token)!.sub);
  });

  it.each([
    [
      "missing",
      /authorization policy tokens_valid denied: path_segments\[2\] \(nsmgr-2\): token is not a JWT/,
    ],
    ["forged", /authorization policy tokens_chained denied: path_segments\[1\]/],
    ["expired", /authorization policy tokens_expired denied: path_segments\[2\]/],
  ] as const)("refuses a caller header token that is %s", async (header, message) => {
    const { handler, r } = nse();
    const { request, call } = await fromM2({ header });
    const error = await handler.request(request, call).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestError);
    expect(error).toMatchObject({ code: "PERMISSION_DENIED", message: expect.stringMatching(message) });
    expect(r.requests).toHaveLength(0);
  });

  it("refuses a caller whose header token is not signed by the certificate it presented (prev_token_signed)", async () => {
    const { handler } = nse();
    const { request, call } = await fromM2();
    call.caller = { ...s.M2.caller, certificate: s.M1.identity.leaf };
    await expect(handler.request(request, call)).rejects.toMatchObject({
      code: "PERMISSION_DENIED",
      message: expect.stringMatching(
        /prev_token_signed denied: path_segments\[2\] \(nsmgr-2\): token is not signed by the TLS peer/,
      ),
    });
  });

  it("refuses an earlier hop forged under a known identity (tokens_signed, beyond NSM)", async () => {
    const keys = bundled();
    keys.add(IDS.C, signerKeyOf(s.C.identity.leaf));
    const { handler } = nse(keys);
    const { request, call } = await fromM2();
    request.connection!.path!.pathSegments[0]!.token = await signClaims(
      { sub: IDS.C, aud: [IDS.M1], exp: Math.floor(Date.now() / 1000) + 60 },
      s.R.identity.privateKey,
    );
    await expect(handler.request(request, call)).rejects.toMatchObject({
      message: expect.stringMatching(/tokens_signed denied: path_segments\[0\] \(nsc-1\)/),
    });
  });

  it("checks a Close the same way, and takes the connection lifetime from the caller's token", async () => {
    const { handler, r } = nse();
    const { request, call } = await fromM2();
    const conn = await handler.request(request, call);
    expect(r.requests[0]!.ctx.lifetimeMs).toBeGreaterThan(590_000);
    const back = { ...conn, path: { ...conn.path!, index: 2 } };
    const { call: closeCall } = await fromM2();
    await handler.close(back, closeCall);
    expect(r.closes[0]!.conn.id).toBe(conn.id);
    // Without the header the body's token stands (as in NSM); an empty one is refused.
    const { call: bad } = await fromM2({ header: "missing" });
    const segments = back.path.pathSegments.map((x, i) => (i === 2 ? { ...x, token: "" } : x));
    await expect(
      handler.close({ ...back, path: { ...back.path, pathSegments: segments } }, bad),
    ).rejects.toMatchObject({
      code: "PERMISSION_DENIED",
      message: expect.stringMatching(/tokens_valid/),
    });
  });

  it("refuses a bare client without a path: there is no caller segment to check (as NSM)", async () => {
    const { handler } = nse();
    const call = ctx();
    call.caller = s.C.caller;
    call.callerToken = await s.C.generate(peerOf(s.E));
    await expect(handler.request(req({ id: "x", networkService: "vl3" }), call)).rejects.toMatchObject({
      message: expect.stringMatching(/prev_token_signed denied: no previous segment/),
    });
  });
});
