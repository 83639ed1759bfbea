// updatepath: our path segment, the connection id it names, and the lifetime the previous segment allows.
import { describe, expect, it } from "vitest";
import { connectionIdOf, updatePath, updatepath } from "../../../src/chain/updatepath.js";
import { Connection, type PathSegment } from "../../../src/grpc/gen/networkservice/connection.js";
import { ctx, recorder, req } from "./fixtures.js";

const NOW = Date.parse("2030-01-01T00:00:00Z");
const MAX = 600_000;
const o = { name: "nse-a", maxTokenLifetimeMs: MAX, now: () => NOW };
const seg = (name: string, id: string, expiresInMs?: number): PathSegment => ({
  name,
  id,
  token: "",
  metrics: {},
  expires: expiresInMs === undefined ? undefined : new Date(NOW + expiresInMs),
});
const withPath = (index: number, segments: PathSegment[], id = "") =>
  Connection.fromPartial({ id, networkService: "vl3", path: { index, pathSegments: segments } });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("updatePath", () => {
  it("adds our segment after the caller's for a new connection, with a fresh id", () => {
    const { connection, lifetimeMs } = updatePath(withPath(0, [seg("nsc-1", "n1", 60_000)], "n1"), o);
    const ours = connection.path!.pathSegments[1]!;
    expect(connection.path!.index).toBe(0);
    expect(connection.path!.pathSegments).toHaveLength(2);
    expect(ours.name).toBe("nse-a");
    expect(ours.id).toMatch(UUID);
    expect(connection.id).toBe(ours.id);
    expect(ours.expires).toEqual(new Date(NOW + MAX));
    expect(lifetimeMs).toBe(60_000);
  });

  it("keeps our id on a refresh that carries our segment after the caller's", () => {
    const { connection } = updatePath(
      withPath(0, [seg("nsc-1", "n1", 60_000), seg("nse-a", "ours-1", 1000)]),
      o,
    );
    expect(connection.id).toBe("ours-1");
    expect(connection.path!.pathSegments.map((s) => s.id)).toEqual(["n1", "ours-1"]);
    // Our segment's expiry is renewed, not copied.
    expect(connection.path!.pathSegments[1]!.expires).toEqual(new Date(NOW + MAX));
  });

  it("keeps our id when the index points at our own segment (the answer sent back as is)", () => {
    const { connection, lifetimeMs } = updatePath(
      withPath(1, [seg("nsc-1", "n1", 30_000), seg("nse-a", "ours-1")]),
      o,
    );
    expect(connection.id).toBe("ours-1");
    expect(connection.path!.index).toBe(1);
    expect(lifetimeMs).toBe(30_000);
  });

  it("drops segments past ours (a longer path from an earlier hop)", () => {
    const { connection } = updatePath(
      withPath(0, [seg("nsc-1", "n1"), seg("nse-a", "ours-1"), seg("somebody", "x")]),
      o,
    );
    expect(connection.path!.pathSegments.map((s) => s.name)).toEqual(["nsc-1", "nse-a"]);
  });

  it("names a bare client's connection by its Connection.id", () => {
    const { connection, lifetimeMs } = updatePath(withPath(0, [], "my-conn"), o);
    expect(connection.id).toBe("my-conn");
    expect(connection.path!.pathSegments.map((s) => [s.name, s.id])).toEqual([["nse-a", "my-conn"]]);
    expect(lifetimeMs).toBe(MAX);
  });

  it("gives a bare client without an id a fresh one", () => {
    const { connection } = updatePath(withPath(0, []), o);
    expect(connection.id).toMatch(UUID);
  });

  it("takes the lifetime from the previous segment's expires, capped by our maximum", () => {
    const life = (ms?: number) => updatePath(withPath(0, [seg("nsc-1", "n1", ms)]), o).lifetimeMs;
    expect(life(5_000)).toBe(5_000);
    expect(life(MAX * 10)).toBe(MAX);
    expect(life(undefined)).toBe(MAX);
    expect(life(-1_000)).toBe(0);
  });
});

describe("connectionIdOf (Close)", () => {
  it("finds our segment after the caller's", () => {
    expect(connectionIdOf(withPath(0, [seg("nsc-1", "n1"), seg("nse-a", "ours-1")], "n1"), "nse-a")).toBe(
      "ours-1",
    );
  });

  it("finds our segment anywhere in the path", () => {
    expect(connectionIdOf(withPath(1, [seg("nsc-1", "n1"), seg("nse-a", "ours-1")], "x"), "nse-a")).toBe(
      "ours-1",
    );
  });

  it("falls back to Connection.id without our segment", () => {
    expect(connectionIdOf(withPath(0, [], "bare"), "nse-a")).toBe("bare");
  });
});

describe("updatepath element", () => {
  it("passes the updated connection and its lifetime on", async () => {
    const r = recorder();
    const handler = updatepath(o)(r.next);
    const out = await handler.request(
      req({ id: "n1", path: { index: 0, pathSegments: [seg("nsc-1", "n1", 9_000)] } }),
      ctx(),
    );
    expect(r.requests[0]!.ctx.lifetimeMs).toBe(9_000);
    expect(out.path!.pathSegments[1]!.name).toBe("nse-a");
  });

  it("closes by our connection id", async () => {
    const r = recorder();
    await updatepath(o)(r.next).close(withPath(0, [seg("nsc-1", "n1"), seg("nse-a", "ours-1")], "n1"), ctx());
    expect(r.closes[0]!.conn.id).toBe("ours-1");
  });
});
