import { describe, expect, it } from "vitest";
import { NetworkService, NetworkServiceEndpoint } from "../../../src/grpc/gen/registry/registry.js";
import { PEER_LABEL } from "../../../src/registry/labels.js";
import { matchEndpoint, matchService } from "../../../src/registry/match.js";
import { dialsPeer, isPeerEndpoint } from "../../../src/registry/peer.js";

const nse = NetworkServiceEndpoint.fromPartial({
  name: "nse-a",
  networkServiceNames: ["vl3", "other"],
  networkServiceLabels: { vl3: { labels: { app: "x", [PEER_LABEL]: "true" } }, other: { labels: {} } },
  url: "tcp://10.0.0.1:5003",
});
const q = (o: Partial<NetworkServiceEndpoint>): NetworkServiceEndpoint => ({
  ...NetworkServiceEndpoint.fromPartial({}),
  ...o,
});

describe("matchEndpoint", () => {
  it("treats empty fields as wildcards", () => {
    expect(matchEndpoint(undefined, nse)).toBe(true);
    expect(matchEndpoint(q({}), nse)).toBe(true);
  });
  it("matches name exactly, service names any-of, labels as a subset, url as a substring", () => {
    expect(matchEndpoint(q({ name: "nse-a" }), nse)).toBe(true);
    expect(matchEndpoint(q({ name: "nse" }), nse)).toBe(false);
    expect(matchEndpoint(q({ networkServiceNames: ["nope", "other"] }), nse)).toBe(true);
    expect(matchEndpoint(q({ networkServiceNames: ["nope"] }), nse)).toBe(false);
    expect(matchEndpoint(q({ networkServiceLabels: { vl3: { labels: { app: "x" } } } }), nse)).toBe(true);
    expect(matchEndpoint(q({ networkServiceLabels: { vl3: { labels: { app: "y" } } } }), nse)).toBe(false);
    expect(matchEndpoint(q({ networkServiceLabels: { missing: { labels: {} } } }), nse)).toBe(false);
    expect(matchEndpoint(q({ url: "10.0.0.1" }), nse)).toBe(true);
    expect(matchEndpoint(q({ url: "10.0.0.2" }), nse)).toBe(false);
  });
});

describe("matchService", () => {
  const ns = NetworkService.fromPartial({ name: "vl3", payload: "IP" });
  it("matches name and payload exactly when given", () => {
    expect(matchService(NetworkService.fromPartial({}), ns)).toBe(true);
    expect(matchService(NetworkService.fromPartial({ name: "vl3" }), ns)).toBe(true);
    expect(matchService(NetworkService.fromPartial({ name: "vl" }), ns)).toBe(false);
    expect(matchService(NetworkService.fromPartial({ payload: "ETHERNET" }), ns)).toBe(false);
  });
});

describe("peer rules", () => {
  it("a peer carries PEER_LABEL=true for that very service", () => {
    expect(isPeerEndpoint(nse, "vl3")).toBe(true);
    expect(isPeerEndpoint(nse, "other")).toBe(false);
    expect(isPeerEndpoint(nse, "absent")).toBe(false);
    const off = q({ ...nse, networkServiceLabels: { vl3: { labels: { [PEER_LABEL]: "false" } } } });
    expect(isPeerEndpoint(off, "vl3")).toBe(false);
  });
  it("of two peers exactly one dials: the lower name in JS string order", () => {
    expect(dialsPeer("nse-a", "nse-b")).toBe(true);
    expect(dialsPeer("nse-b", "nse-a")).toBe(false);
    expect(dialsPeer("nse-10", "nse-9")).toBe(true); // string order, not numeric
    expect(dialsPeer("Z", "a")).toBe(true); // code units: upper case sorts first
    expect(dialsPeer("x", "x")).toBe(false);
  });
});
