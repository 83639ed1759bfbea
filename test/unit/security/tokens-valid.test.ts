// tokens_valid: every segment's token decodes as a JWT (the signature is other policies' business).
import { describe, expect, it } from "vitest";
import { tokensValid } from "../../../src/security/policies.js";
import { hop, IDS, input, signClaims, testIdentity } from "../../support/security/tokens.js";

const NOW = 1767225000;
const [C, M1] = [testIdentity(IDS.C), testIdentity(IDS.M1)];

describe("tokens_valid", () => {
  it.each<[string, () => Promise<string[]>, RegExp | undefined]>([
    ["no segments", async () => [], undefined],
    ["good tokens", async () => [await hop(C, M1, NOW), await hop(M1, C, NOW)], undefined],
    [
      "a token signed by someone else (decoding is enough)",
      async () => [await hop(C, M1, NOW)].map((t) => t),
      undefined,
    ],
    ["an expired token (not this policy's business)", async () => [await hop(C, M1, NOW, -60)], undefined],
    [
      "an empty token (the caller sent no header)",
      async () => ["", await hop(M1, C, NOW)],
      /path_segments\[0\] \(hop-0\): token is not a JWT/,
    ],
    [
      "garbage in the middle",
      async () => [await hop(C, M1, NOW), "a.b.c", await hop(M1, C, NOW)],
      /path_segments\[1\]/,
    ],
    [
      "a payload that is not JSON",
      async () => ["eyJhbGciOiJFUzI1NiJ9.bm90IGpzb24.c2ln"],
      /path_segments\[0\]/,
    ],
    [
      "claims without a header",
      async () => [(await signClaims({ sub: IDS.C }, C.privateKey)).split(".").slice(1).join(".")],
      /not a JWT/,
    ],
  ])("%s", async (_, tokens, denial) => {
    const reason = await tokensValid.check(input(await tokens(), { nowS: NOW }));
    if (denial) expect(reason).toMatch(denial);
    else expect(reason).toBeUndefined();
  });
});
