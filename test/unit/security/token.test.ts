// Path tokens as NSM makes them: the reference's vector 7.1 (header, claims in order, 64-byte R‖S,
// expiry clamped by certificates), the RFC3339Nano expiry header, and the verify cache.
import { Metadata } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import {
  decodeToken,
  spiffeTokenGenerator,
  TokenVerifier,
  verifySignature,
} from "../../../src/security/token.js";
import {
  formatExpires,
  parseExpires,
  readTokenHeaders,
  setTokenHeaders,
} from "../../../src/security/token-headers.js";
import { IDS, signClaims, testIdentity } from "../../support/security/tokens.js";

const T = 1767225000;
const C = testIdentity(IDS.C);
const M1 = testIdentity(IDS.M1);
const part = (token: string, i: number) => Buffer.from(token.split(".")[i]!, "base64url");

describe("spiffeTokenGenerator (reference §7.1)", () => {
  const generate = (notAfter?: Date, nowMs = T * 1000 + 482) =>
    spiffeTokenGenerator({
      signer: () => ({ spiffeId: C.spiffeId, privateKey: C.privateKey, notAfter }),
      maxLifetimeMs: 600_000,
      now: () => nowMs,
    });

  it("makes NSM's token: fixed header, sub/aud/exp in that order, a 64-byte ES256 signature", async () => {
    const { token, expires } = await generate()({ spiffeId: M1.spiffeId });
    expect(token.split(".")[0]).toBe("eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9");
    expect(part(token, 1).toString()).toBe(`{"sub":"${IDS.C}","aud":["${IDS.M1}"],"exp":1767225600}`);
    expect(part(token, 2)).toHaveLength(64);
    expect(await verifySignature(token, C.signer)).toBe(true);
    expect(await verifySignature(token, M1.signer)).toBe(false);
    // The header time is >= exp and < exp + 1 s.
    expect(expires.getTime()).toBe(1767225600_482);
    expect(formatExpires(expires)).toBe("2026-01-01T00:00:00.482Z");
  });

  it("ends with the signer's certificate when that comes first", async () => {
    const { token, expires } = await generate(new Date((T + 300) * 1000))({ spiffeId: M1.spiffeId });
    expect(decodeToken(token)!.exp).toBe(T + 300);
    expect(expires).toEqual(new Date((T + 300) * 1000));
  });

  it("lowers only the returned expiry to the peer's certificate end, as NSM does", async () => {
    const peerEnd = new Date((T + 100) * 1000);
    const { token, expires } = await generate()({ spiffeId: M1.spiffeId, notAfter: peerEnd });
    expect(decodeToken(token)!.exp).toBe(T + 600);
    expect(expires).toEqual(peerEnd);
  });

  it("leaves aud out when there is no peer", async () => {
    const { token } = await generate()();
    expect(JSON.parse(part(token, 1).toString())).toEqual({ sub: IDS.C, exp: T + 600 });
  });
});

describe("token headers", () => {
  it.each([
    ["2026-01-01T00:10:00.123Z", "2026-01-01T00:10:00.123Z"],
    ["2026-01-01T00:10:00.120Z", "2026-01-01T00:10:00.12Z"],
    ["2026-01-01T00:10:00.000Z", "2026-01-01T00:10:00Z"],
  ])("formats %s as Go's RFC3339Nano %s", (iso, go) => expect(formatExpires(new Date(iso))).toBe(go));

  it.each([
    ["2026-01-01T00:00:00.482913071Z", "2026-01-01T00:00:00.482Z"],
    ["2026-01-01T00:10:00Z", "2026-01-01T00:10:00.000Z"],
    ["2026-01-01T02:10:00.5+02:00", "2026-01-01T00:10:00.500Z"],
  ])("parses %s", (text, iso) => expect(parseExpires(text)!.toISOString()).toBe(iso));

  it.each(["", "2026-01-01 00:10:00Z", "2026-01-01T00:10:00.1234567891Z", "tomorrow"])("refuses %j", (text) =>
    expect(parseExpires(text)).toBeUndefined());

  it("round-trips through metadata and names a missing or doubled header", () => {
    const md = new Metadata();
    setTokenHeaders(md, { token: "a.b.c", expires: new Date("2026-01-01T00:10:00Z") });
    expect(readTokenHeaders(md)).toEqual({ token: "a.b.c", expires: new Date("2026-01-01T00:10:00Z") });
    md.add("nsm-client-token", "d.e.f");
    expect(readTokenHeaders(md)).toMatch(/nsm-client-token.*wrong length 2/);
    expect(readTokenHeaders(new Metadata())).toMatch(/nsm-client-token.*wrong length 0/);
  });
});

describe("decodeToken and TokenVerifier", () => {
  it("decodes without checking the signature, and refuses what is not a JWT", async () => {
    const forged = await signClaims({ sub: IDS.C, aud: IDS.M1, exp: T }, M1.privateKey);
    expect(decodeToken(forged)).toEqual({ sub: IDS.C, aud: IDS.M1, exp: T });
    for (const bad of ["", "a.b.c", "x", "eyJhbGciOiJFUzI1NiJ9.bm90IGpzb24.c2ln"])
      expect(decodeToken(bad)).toBeUndefined();
  });

  it("remembers tokens that verified, bounded, and never a failure", async () => {
    const v = new TokenVerifier(2);
    const tokens = await Promise.all(
      [1, 2, 3].map((n) => signClaims({ sub: IDS.C, exp: T + n }, C.privateKey)),
    );
    for (const t of tokens) expect(await v.verify(t, C.signer)).toBe(true);
    expect(v.size).toBe(2);
    expect(await v.verify(tokens[0]!, M1.signer)).toBe(false);
    expect(v.size).toBe(2);
  });
});
