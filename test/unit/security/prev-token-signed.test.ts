// prev_token_signed (server): the caller's segment, index − 1, verifies with the TLS peer's key.
import { describe, expect, it } from "vitest";
import { prevTokenSigned } from "../../../src/security/policies.js";
import { hop, IDS, input, type TestIdentity, testIdentity } from "../../support/security/tokens.js";

const NOW = 1767225000;
const [C, M1, M2] = [testIdentity(IDS.C), testIdentity(IDS.M1), testIdentity(IDS.M2)];

describe("prev_token_signed", () => {
  it.each<[string, () => Promise<string[]>, { index?: number; peer?: TestIdentity }, RegExp | undefined]>([
    [
      "the caller signed its segment",
      async () => [await hop(C, M1, NOW), await hop(M1, C, NOW)],
      { peer: C },
      undefined,
    ],
    [
      "two hops in: M1 signed index 1",
      async () => [await hop(C, M1, NOW), await hop(M1, M2, NOW), await hop(M2, M1, NOW)],
      { peer: M1 },
      undefined,
    ],
    [
      "signed by another key than the peer's",
      async () => [await hop(C, M1, NOW), await hop(M1, C, NOW)],
      { peer: M2 },
      /path_segments\[0\] \(hop-0\): token is not signed by the TLS peer spiffe:\/\/k8s.nsm\/ns\/nsm-system\/pod\/nsmgr-2/,
    ],
    [
      "an older hop signed by the peer, not the previous one",
      async () => [await hop(C, M1, NOW), await hop(M2, M1, NOW), await hop(M1, C, NOW)],
      { peer: C },
      /path_segments\[1\]/,
    ],
    [
      "no TLS peer certificate",
      async () => [await hop(C, M1, NOW), await hop(M1, C, NOW)],
      {},
      /no TLS peer certificate/,
    ],
    [
      "index 0: no previous segment",
      async () => [await hop(M1, C, NOW)],
      { peer: C },
      /no previous segment at path_segments\[-1\]/,
    ],
    ["an empty token", async () => ["", await hop(M1, C, NOW)], { peer: C }, /not signed by the TLS peer/],
  ])("%s", async (_, tokens, o, denial) => {
    const reason = await prevTokenSigned.check(input(await tokens(), { nowS: NOW, ...o }));
    if (denial) expect(reason).toMatch(denial);
    else expect(reason).toBeUndefined();
  });
});
