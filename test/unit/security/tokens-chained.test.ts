// tokens_chained: each token's aud (an array) names the next segment's sub, C → M1 → M2 → E.
import { describe, expect, it } from "vitest";
import { tokensChained } from "../../../src/security/policies.js";
import { hop, IDS, input, signClaims, testIdentity } from "../../support/security/tokens.js";

const NOW = 1767225000;
const [C, M1, M2, E] = [IDS.C, IDS.M1, IDS.M2, IDS.E].map(testIdentity) as [
  ReturnType<typeof testIdentity>,
  ReturnType<typeof testIdentity>,
  ReturnType<typeof testIdentity>,
  ReturnType<typeof testIdentity>,
];

describe("tokens_chained", () => {
  it.each<[string, () => Promise<string[]>, RegExp | undefined]>([
    ["no segments", async () => [], undefined],
    ["one segment (nothing to chain)", async () => [await hop(C, M1, NOW)], undefined],
    [
      "C → M1 → M2 → E, the last pointing back",
      async () => [
        await hop(C, M1, NOW),
        await hop(M1, M2, NOW),
        await hop(M2, E, NOW),
        await hop(E, M2, NOW),
      ],
      undefined,
    ],
    [
      "aud that also names others",
      async () => [
        await signClaims({ sub: IDS.C, aud: [IDS.R, IDS.M1], exp: NOW + 60 }, C.privateKey),
        await hop(M1, C, NOW),
      ],
      undefined,
    ],
    [
      "aud as a string, not an array",
      async () => [
        await signClaims({ sub: IDS.C, aud: IDS.M1, exp: NOW + 60 }, C.privateKey),
        await hop(M1, C, NOW),
      ],
      /path_segments\[0\] \(hop-0\): aud "spiffe:\/\/k8s.nsm\/ns\/nsm-system\/pod\/nsmgr-1" does not name the next hop/,
    ],
    [
      "a hop skipped (C → M2)",
      async () => [await hop(C, M2, NOW), await hop(M1, C, NOW)],
      /path_segments\[0\]/,
    ],
    [
      "a broken link further on",
      async () => [await hop(C, M1, NOW), await hop(M1, E, NOW), await hop(M2, M1, NOW)],
      /path_segments\[1\]/,
    ],
    [
      "no aud at all",
      async () => [await signClaims({ sub: IDS.C, exp: NOW + 60 }, C.privateKey), await hop(M1, C, NOW)],
      /aud null/,
    ],
    ["a next token that does not decode", async () => [await hop(C, M1, NOW), ""], /next hop null/],
  ])("%s", async (_, tokens, denial) => {
    const reason = await tokensChained.check(input(await tokens(), { nowS: NOW }));
    if (denial) expect(reason).toMatch(denial);
    else expect(reason).toBeUndefined();
  });
});
