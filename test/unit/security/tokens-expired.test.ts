// tokens_expired: now < exp for every segment.
import { describe, expect, it } from "vitest";
import { tokensExpired } from "../../../src/security/policies.js";
import { hop, IDS, input, signClaims, testIdentity } from "../../support/security/tokens.js";

const NOW = 1767225000;
const [C, M1] = [testIdentity(IDS.C), testIdentity(IDS.M1)];

describe("tokens_expired", () => {
  it.each<[string, () => Promise<string[]>, number, RegExp | undefined]>([
    ["no segments", async () => [], 0, undefined],
    ["all in date", async () => [await hop(C, M1, NOW), await hop(M1, C, NOW, 1)], 0, undefined],
    ["one millisecond before exp", async () => [await hop(C, M1, NOW, 1)], 999, undefined],
    [
      "exactly at exp",
      async () => [await hop(C, M1, NOW, 1)],
      1000,
      /path_segments\[0\] \(hop-0\): token expired at 2025-12-31T23:50:01.000Z/,
    ],
    [
      "the second one expired",
      async () => [await hop(C, M1, NOW), await hop(M1, C, NOW, -1)],
      0,
      /path_segments\[1\]/,
    ],
    [
      "no exp",
      async () => [await signClaims({ sub: IDS.C, aud: [IDS.M1] }, C.privateKey)],
      0,
      /token has no exp/,
    ],
    ["not a JWT", async () => ["nope"], 0, /path_segments\[0\] \(hop-0\): token has no exp/],
  ])("%s", async (_, tokens, laterMs, denial) => {
    const i = input(await tokens(), { nowS: NOW });
    const reason = await tokensExpired.check({ ...i, nowMs: i.nowMs + laterMs });
    if (denial) expect(reason).toMatch(denial);
    else expect(reason).toBeUndefined();
  });
});
