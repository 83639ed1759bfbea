// The links peers dialled to us, by the peer's mark: indexed as their connection actors start, dropped
// as they end; only links of that peer are looked at, and only answered, not closing ones are established.
import { describe, expect, it } from "vitest";
import type { ConnectionRef } from "../../../src/actors/connection-actors.js";
import { ServedLinks } from "../../../src/actors/served-links.js";
import { PEER_REQUEST_LABEL } from "../../../src/registry/labels.js";
import { conn } from "../machines/fixtures.js";

/** A connection actor as far as ServedLinks reads it. */
function link(id: string, o: { kind?: string; peer?: string; state?: string; committed?: boolean } = {}) {
  const request = conn(id);
  if (o.peer) request.labels = { ...request.labels, [PEER_REQUEST_LABEL]: o.peer };
  const state = { value: o.state ?? "up", status: "active" };
  const ref = {
    state,
    getSnapshot: () => ({
      status: state.status,
      matches: (v: string) => v === state.value,
      context: {
        id,
        kind: o.kind ?? "peer",
        request,
        committed: o.committed === false ? undefined : request,
      },
    }),
  };
  return ref as typeof ref & ConnectionRef;
}

describe("ServedLinks", () => {
  it("finds a peer's links by its mark, and only those", () => {
    const served = new ServedLinks();
    const b1 = link("b1", { peer: "nse-b" });
    const b2 = link("b2", { peer: "nse-b", committed: false });
    const c1 = link("c1", { peer: "nse-c", state: "closing" });
    const client = link("n1", { kind: "client", peer: "nse-b" });
    for (const ref of [b1, b2, c1, client, link("n2", { kind: "client" })]) served.started(ref);
    expect(served.of("nse-b")).toEqual(["b1", "b2"]);
    expect(served.of("nse-b", { established: true })).toEqual(["b1"]);
    expect(served.of("nse-c")).toEqual(["c1"]);
    expect(served.of("nse-c", { established: true })).toEqual([]);
    expect(served.of("nse-x")).toEqual([]);
  });

  it("forgets a link whose actor is gone, and skips one that is no longer active", () => {
    const served = new ServedLinks();
    const b1 = link("b1", { peer: "nse-b" });
    const b2 = link("b2", { peer: "nse-b" });
    served.started(b1);
    served.started(b2);
    b2.state.status = "done";
    expect(served.of("nse-b")).toEqual(["b1"]);
    served.gone(b1);
    served.gone(b2);
    served.gone(link("n1", { kind: "client" }));
    expect(served.of("nse-b")).toEqual([]);
  });

  it("moves a link whose refresh changed its mark under the new one", () => {
    const served = new ServedLinks();
    const b1 = link("b1", { peer: "nse-b" });
    served.started(b1);
    const snapshot = b1.getSnapshot();
    snapshot.context.request.labels = { ...snapshot.context.request.labels, [PEER_REQUEST_LABEL]: "nse-c" };
    served.observe(b1, snapshot as never);
    expect(served.of("nse-b")).toEqual([]);
    expect(served.of("nse-c")).toEqual(["b1"]);
    served.gone(b1);
    expect(served.of("nse-c")).toEqual([]);
  });

  it("passes over an actor whose machine could not be created (no context)", () => {
    const served = new ServedLinks();
    const broken = { getSnapshot: () => ({ status: "error", error: new Error("no") }) };
    served.started(broken as never);
    served.gone(broken as never);
    expect(served.of("nse-b")).toEqual([]);
  });
});
