// service_connection (monitor): a caller sees a connection only if it signed one of its segments.
import { describe, expect, it } from "vitest";
import { tookPart } from "../../../src/security/policies.js";
import { hop, IDS, testIdentity } from "../../support/security/tokens.js";

const NOW = 1767225000;
const [C, M1, E] = [testIdentity(IDS.C), testIdentity(IDS.M1), testIdentity(IDS.E)];

describe("service_connection (tookPart)", () => {
  it.each<[string, string | undefined, boolean]>([
    ["the client that started it", IDS.C, true],
    ["the nsmgr it went through", IDS.M1, true],
    ["a hop further on", IDS.E, true],
    ["another nsmgr", IDS.M2, false],
    ["a caller without an identity (plain text)", undefined, false],
  ])("%s: %s", async (_, caller, seen) => {
    const path = [await hop(C, M1, NOW), await hop(M1, E, NOW), await hop(E, M1, NOW)].map((token) => ({
      token,
    }));
    expect(tookPart(path, caller)).toBe(seen);
  });

  it("sees nothing in a path without tokens", () => {
    expect(tookPart([{ token: "" }], IDS.C)).toBe(false);
  });
});
