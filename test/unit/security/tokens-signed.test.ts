// tokens_signed (beyond NSM): every token whose signer's key is known here verifies with one of them.
import { describe, expect, it } from "vitest";
import { tokensSigned } from "../../../src/security/policies.js";
import { hop, IDS, input, type TestIdentity, testIdentity } from "../../support/security/tokens.js";

const NOW = 1767225000;
const [C, M1, M2] = [testIdentity(IDS.C), testIdentity(IDS.M1), testIdentity(IDS.M2)];
const rotatedC = testIdentity(IDS.C);
const mallory = testIdentity("spiffe://k8s.nsm/ns/ns-b/pod/mallory");
// A token claiming C's identity but signed with mallory's key.
const forgedC = () => hop({ ...mallory, spiffeId: IDS.C }, M1, NOW);

describe("tokens_signed", () => {
  it.each<[string, () => Promise<string[]>, TestIdentity[], RegExp | undefined]>([
    [
      "no signer known: nothing to check",
      async () => [await forgedC(), await hop(M1, C, NOW)],
      [],
      undefined,
    ],
    [
      "known signers all verify",
      async () => [await hop(C, M1, NOW), await hop(M1, M2, NOW)],
      [C, M1],
      undefined,
    ],
    [
      "a signer rotated: an older key still verifies",
      async () => [await hop(C, M1, NOW)],
      [rotatedC, C],
      undefined,
    ],
    [
      "a forged token for a known identity",
      async () => [await forgedC(), await hop(M1, C, NOW)],
      [C, M1],
      /path_segments\[0\] \(hop-0\): token is not signed by the known key of spiffe:\/\/k8s.nsm\/ns\/ns-a\/pod\/nsc-1/,
    ],
    [
      "a token that does not decode (tokens_valid's business)",
      async () => ["x", await hop(M1, C, NOW)],
      [C, M1],
      undefined,
    ],
  ])("%s", async (_, tokens, known, denial) => {
    const reason = await tokensSigned.check(input(await tokens(), { nowS: NOW, known }));
    if (denial) expect(reason).toMatch(denial);
    else expect(reason).toBeUndefined();
  });
});
