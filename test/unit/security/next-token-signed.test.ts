// next_token_signed (client): the answering server's segment, index + 1, verifies with its TLS key.
import { describe, expect, it } from "vitest";
import { nextTokenSigned } from "../../../src/security/policies.js";
import { hop, IDS, input, type TestIdentity, testIdentity } from "../../support/security/tokens.js";

const NOW = 1767225000;
const [C, M1, M2, E] = [testIdentity(IDS.C), testIdentity(IDS.M1), testIdentity(IDS.M2), testIdentity(IDS.E)];

describe("next_token_signed", () => {
  const path = async () => [
    await hop(C, M1, NOW),
    await hop(M1, M2, NOW),
    await hop(M2, E, NOW),
    await hop(E, M2, NOW),
  ];
  it.each<[string, () => Promise<string[]>, { index: number; peer?: TestIdentity }, RegExp | undefined]>([
    ["C sees M1's segment signed by M1 (reference step 6a)", path, { index: 0, peer: M1 }, undefined],
    ["M1 sees M2's", path, { index: 1, peer: M2 }, undefined],
    [
      "the server's segment signed by another",
      path,
      { index: 0, peer: M2 },
      /path_segments\[1\] \(hop-1\): token is not signed by the TLS peer/,
    ],
    [
      "no next segment",
      async () => [await hop(C, M1, NOW)],
      { index: 0, peer: M1 },
      /no next segment at path_segments\[1\]/,
    ],
    ["no TLS peer", path, { index: 0 }, /no TLS peer certificate/],
  ])("%s", async (_, tokens, o, denial) => {
    const reason = await nextTokenSigned.check(input(await tokens(), { nowS: NOW, ...o }));
    if (denial) expect(reason).toMatch(denial);
    else expect(reason).toBeUndefined();
  });
});
