// The measure element: every Request and Close through the rest of the chain is timed and reported
// with how it ended, the answer or the error passed on unchanged.
import { describe, expect, it } from "vitest";
import type { LifecycleSignal } from "../../../src/actors/observe.js";
import { RequestError } from "../../../src/chain/errors.js";
import { measure, rejectionOf } from "../../../src/chain/measure.js";
import type { NetworkServiceHandler } from "../../../src/chain/types.js";
import { PEER_REQUEST_LABEL } from "../../../src/registry/labels.js";
import { ctx, recorder, req } from "./fixtures.js";

function measured(next: NetworkServiceHandler) {
  const signals: LifecycleSignal[] = [];
  return { handler: measure((s) => signals.push(s))(next), signals };
}

const failing = (error: unknown): NetworkServiceHandler => ({
  request: async () => {
    throw error;
  },
  close: async () => {
    throw error;
  },
});

describe("measure element", () => {
  it("reports an NSC's answered request as a client request, OK, with its duration", async () => {
    const m = measured(recorder().next);
    const conn = await m.handler.request(req({ id: "c1" }), ctx());
    expect(conn.id).toBe("c1");
    expect(m.signals).toEqual([
      { type: "request", kind: "client", outcome: "ok", code: "OK", seconds: expect.any(Number) },
    ]);
  });

  it("tells a peer's request by its mark", async () => {
    const m = measured(recorder().next);
    await m.handler.request(req({ id: "c1", labels: { [PEER_REQUEST_LABEL]: "nse-a" } }), ctx());
    expect(m.signals[0]).toMatchObject({ kind: "peer", outcome: "ok" });
  });

  it("reports a refusal with its status name and passes the error on", async () => {
    const refusal = new RequestError("RESOURCE_EXHAUSTED", "no free address");
    const m = measured(failing(refusal));
    await expect(m.handler.request(req({ id: "c1" }), ctx())).rejects.toBe(refusal);
    expect(m.signals[0]).toMatchObject({ outcome: "error", code: "RESOURCE_EXHAUSTED" });
  });

  it("reports an element that throws at once instead of rejecting", async () => {
    const refusal = new RequestError("INVALID_ARGUMENT", "connection.network_service: missing");
    const m = measured({
      request: () => {
        throw refusal;
      },
      close: () => {
        throw refusal;
      },
    });
    await expect(m.handler.request(req({ id: "c1" }), ctx())).rejects.toBe(refusal);
    await expect(m.handler.close(req({ id: "c1" }).connection!, ctx())).rejects.toBe(refusal);
    expect(m.signals.map((s) => s.type)).toEqual(["rejection", "request", "rejection", "close"]);
    expect(m.signals[1]).toMatchObject({ outcome: "error", code: "INVALID_ARGUMENT" });
  });

  it.each<[string, RequestError | Error, unknown]>([
    [
      "a field",
      new RequestError("INVALID_ARGUMENT", "connection.network_service: missing"),
      { code: "INVALID_ARGUMENT", field: "connection.network_service" },
    ],
    [
      "indexes and keys taken out",
      new RequestError("INVALID_ARGUMENT", 'connection.labels["x]y"]: long'),
      { code: "INVALID_ARGUMENT", field: "-" },
    ],
    [
      "an index",
      new RequestError("PERMISSION_DENIED", "connection.path.path_segments[0]: not yours"),
      { code: "PERMISSION_DENIED", field: "connection.path.path_segments[]" },
    ],
    [
      "no field",
      new RequestError("FAILED_PRECONDITION", "something odd happened"),
      { code: "FAILED_PRECONDITION", field: "-" },
    ],
    ["not a refusal", new RequestError("UNAVAILABLE", "endpoint is starting"), undefined],
    ["not ours", new Error("bug"), undefined],
  ])("rejectionOf: %s", (_, error, want) => {
    expect(rejectionOf(error)).toEqual(want);
  });

  it("reports any other error as INTERNAL, as the gRPC layer answers it", async () => {
    const m = measured(failing(new Error("bug")));
    await expect(m.handler.request(req({ id: "c1" }), ctx())).rejects.toThrow("bug");
    expect(m.signals[0]).toMatchObject({ outcome: "error", code: "INTERNAL" });
  });

  it("reports Closes, answered and failed", async () => {
    const ok = measured(recorder().next);
    await ok.handler.close(req({ id: "c1" }).connection!, ctx());
    expect(ok.signals).toEqual([{ type: "close", outcome: "ok", seconds: expect.any(Number) }]);
    const bad = measured(failing(new Error("gone")));
    await expect(bad.handler.close(req({ id: "c1" }).connection!, ctx())).rejects.toThrow("gone");
    expect(bad.signals).toEqual([{ type: "close", outcome: "error", seconds: expect.any(Number) }]);
  });
});
