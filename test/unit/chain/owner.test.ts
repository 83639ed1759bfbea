// Ownership: who a Request or Close comes from (ownerOf), the pure check (checkOwner), which monitor
// selectors say whose connections they want, and the element that names the caller.
import { describe, expect, it } from "vitest";
import { RequestError } from "../../../src/chain/errors.js";
import {
  ANONYMOUS,
  checkOwner,
  type Owner,
  owner,
  ownerOf,
  sameOwner,
  selectorNamesCaller,
} from "../../../src/chain/owner.js";
import { Connection, MonitorScopeSelector } from "../../../src/grpc/gen/networkservice/connection.js";
import { ctx, recorder } from "./fixtures.js";

const withPath = (...segments: Array<[string, string]>) =>
  Connection.fromPartial({
    id: "x",
    networkService: "vl3",
    path: { index: 0, pathSegments: segments.map(([name, id]) => ({ name, id })) },
  });

describe("ownerOf", () => {
  it.each<[string, Connection, string | undefined, Owner]>([
    [
      "the first segment names the owner",
      withPath(["nsc-1", "n1"], ["nse-a", "c1"]),
      undefined,
      { name: "nsc-1", id: "n1" },
    ],
    [
      "also through nsmgrs",
      withPath(["nsc-1", "n1"], ["nsmgr", "m1"], ["nse-a", "c1"]),
      undefined,
      { name: "nsc-1", id: "n1" },
    ],
    ["a bare client is anonymous", withPath(), undefined, ANONYMOUS],
    [
      "our own answer sent back by a bare client is anonymous",
      withPath(["nse-a", "c1"]),
      undefined,
      ANONYMOUS,
    ],
    [
      "the identity is kept",
      withPath(["nsc-1", "n1"]),
      "spiffe://td/nsc",
      { name: "nsc-1", id: "n1", identity: "spiffe://td/nsc" },
    ],
  ])("%s", (_, conn, identity, want) => {
    expect(ownerOf(conn, "nse-a", identity)).toEqual(want);
  });
});

describe("sameOwner / checkOwner", () => {
  const a: Owner = { name: "nsc-1", id: "n1" };
  it.each<[string, Owner | undefined, Owner, boolean]>([
    ["a new connection is anyone's", undefined, a, true],
    ["the owner itself", a, { ...a }, true],
    ["another name", a, { name: "nsc-2", id: "n1" }, false],
    ["the same name with another id", a, { name: "nsc-1", id: "n2" }, false],
    ["an anonymous caller on a named connection", a, ANONYMOUS, false],
    ["an anonymous caller on an anonymous connection", ANONYMOUS, { ...ANONYMOUS }, true],
    [
      "the same segment from another identity",
      { ...a, identity: "spiffe://td/a" },
      { ...a, identity: "spiffe://td/b" },
      false,
    ],
    ["the same segment without the identity", { ...a, identity: "spiffe://td/a" }, a, false],
    [
      "the same segment and identity",
      { ...a, identity: "spiffe://td/a" },
      { ...a, identity: "spiffe://td/a" },
      true,
    ],
  ])("%s", (_, existing, caller, allowed) => {
    if (existing) expect(sameOwner(existing, caller)).toBe(allowed);
    const run = () => checkOwner(existing, caller, "c1");
    if (allowed) expect(run).not.toThrow();
    else {
      expect(run).toThrow(RequestError);
      try {
        run();
      } catch (e) {
        expect((e as RequestError).code).toBe("PERMISSION_DENIED");
        // Names the field, never the real owner.
        expect((e as RequestError).message).toMatch(/^connection\.path\.path_segments\[0\]: /);
        expect((e as RequestError).message).not.toContain("nsc-1");
      }
    }
  });

  it("quotes a long id at most 128 characters", () => {
    try {
      checkOwner({ name: "a", id: "1" }, ANONYMOUS, "z".repeat(10_000));
    } catch (e) {
      expect((e as Error).message.length).toBeLessThan(250);
    }
  });
});

describe("selectorNamesCaller", () => {
  const sel = (p: object) => MonitorScopeSelector.fromPartial(p as never);
  it.each<[string, MonitorScopeSelector, boolean]>([
    ["an empty selector", sel({}), false],
    ["only network services", sel({ networkServices: ["vl3"] }), false],
    ["an empty segment (all wildcards)", sel({ pathSegments: [{}] }), false],
    ["the NSE's name (nsmgr, vl3lb)", sel({ pathSegments: [{ name: "nse-a" }] }), true],
    ["an NSC's own segment", sel({ pathSegments: [{ name: "nsc-1", id: "n1" }] }), true],
    ["a connection id alone", sel({ pathSegments: [{ id: "c1" }] }), true],
  ])("%s", (_, selector, want) => {
    expect(selectorNamesCaller(selector)).toBe(want);
  });
});

describe("owner element", () => {
  it("names the caller of a Request and a Close, with the identity the gRPC layer found", async () => {
    const r = recorder();
    const handler = owner({ name: "nse-a" })(r.next);
    await handler.request(
      { connection: withPath(["nsc-1", "n1"]), mechanismPreferences: [] },
      { ...ctx(), identity: "spiffe://td/nsc" },
    );
    await handler.close(withPath(), ctx());
    expect(r.requests[0]!.ctx.owner).toEqual({ name: "nsc-1", id: "n1", identity: "spiffe://td/nsc" });
    expect(r.closes[0]!.ctx.owner).toEqual(ANONYMOUS);
  });
});
