// The peer element: a request marked as a peer NSE's is accepted only from a registered peer of the
// service that, by the peer rule, is the side that dials us.
import { describe, expect, it } from "vitest";
import { RequestError } from "../../../src/chain/errors.js";
import { peerRequests } from "../../../src/chain/peer.js";
import { PEER_REQUEST_LABEL } from "../../../src/registry/labels.js";
import { ctx, recorder, req } from "./fixtures.js";

// nse-m sits between: nse-a (sorts lower) dials it, it dials nse-z.
const registered = new Set(["vl3/nse-a", "vl3/nse-z"]);
const element = peerRequests({
  self: "nse-m",
  isPeer: (name, service) => registered.has(`${service}/${name}`),
});

async function outcome(labels: Record<string, string>, service = "vl3") {
  const r = recorder();
  const c = ctx();
  try {
    await element(r.next).request(req({ id: "c1", networkService: service, labels }), c);
    return { passed: r.requests.length === 1, peerOf: r.requests[0]?.ctx.peerOf };
  } catch (e) {
    if (!(e instanceof RequestError)) throw e;
    return { passed: r.requests.length === 1, code: e.code, message: e.message };
  }
}

describe("peer element", () => {
  it("passes an NSC's request (no mark) as a client request", async () => {
    expect(await outcome({ app: "web" })).toEqual({ passed: true, peerOf: undefined });
  });

  it("marks a registered peer that dials us", async () => {
    expect(await outcome({ [PEER_REQUEST_LABEL]: "nse-a" })).toEqual({ passed: true, peerOf: "nse-a" });
  });

  it("denies a name that is not a registered peer of the service (PERMISSION_DENIED)", async () => {
    const o = await outcome({ [PEER_REQUEST_LABEL]: "nse-b" });
    expect(o).toMatchObject({ passed: false, code: "PERMISSION_DENIED" });
    expect(o.message).toContain(`connection.labels["${PEER_REQUEST_LABEL}"]`);
    expect(await outcome({ [PEER_REQUEST_LABEL]: "nse-a" }, "other")).toMatchObject({
      code: "PERMISSION_DENIED",
    });
  });

  it("refuses a peer on the wrong side of the rule (FAILED_PRECONDITION): we dial it", async () => {
    const o = await outcome({ [PEER_REQUEST_LABEL]: "nse-z" });
    expect(o).toMatchObject({ passed: false, code: "FAILED_PRECONDITION" });
    expect(o.message).toContain(`nse-m dials "nse-z"`);
  });

  it.each(["", "nse-m"])("rejects the peer name %j (INVALID_ARGUMENT)", async (name) => {
    expect(await outcome({ [PEER_REQUEST_LABEL]: name })).toMatchObject({
      passed: false,
      code: "INVALID_ARGUMENT",
    });
  });
});

describe("peer element with path tokens on (the label spoof of issue 11)", () => {
  const allowedPeer = {
    test: (id: string) => id.startsWith("spiffe://k8s.nsm/ns/vl3/pod/"),
    describe: "spiffe://k8s.nsm/ns/vl3/pod/*",
  };
  const PEER = "spiffe://k8s.nsm/ns/vl3/pod/nse-a";
  // nse-a's registry entry names its registrant (path_ids[0]); nse-a@cluster2's entry names none.
  const guarded = peerRequests({
    self: "nse-m",
    isPeer: (name, service) => registered.has(`${service}/${name}`),
    allowedPeer,
    registrantOf: (name) => (name === "nse-a" ? PEER : undefined),
  });

  async function attempt(origin: string, identity: string | undefined, mark = "nse-a") {
    const r = recorder();
    // authorize sets origin only when segment 0's identity is proven; pathIds holds the mere claim.
    const c = { ...ctx(), origin: identity, pathIds: [identity ?? "spiffe://k8s.nsm/ns/vl3/pod/nse-a"] };
    const request = req({
      id: "c1",
      networkService: "vl3",
      labels: { [PEER_REQUEST_LABEL]: mark },
      path: {
        index: 1,
        pathSegments: [
          { name: origin, id: "o1" },
          { name: "nsmgr-1", id: "m1" },
          { name: "nse-m", id: "c1" },
        ],
      },
    });
    return guarded(r.next)
      .request(request, c)
      .then(() => ({ passed: true, peerOf: r.requests[0]!.ctx.peerOf }))
      .catch((e: RequestError) => ({ passed: r.requests.length > 0, code: e.code, message: e.message }));
  }

  it("accepts a registered peer whose own segment starts the path, with an allowed identity", async () => {
    expect(await attempt("nse-a", PEER)).toEqual({ passed: true, peerOf: "nse-a" });
  });

  it("accepts a peer of another domain: its segment bare as it registered, its mark qualified", async () => {
    registered.add("vl3/nse-a@cluster2");
    expect(await attempt("nse-a", PEER, "nse-a@cluster2")).toEqual({
      passed: true,
      peerOf: "nse-a@cluster2",
    });
    expect(await attempt("nse-b", PEER, "nse-a@cluster2")).toMatchObject({ code: "PERMISSION_DENIED" });
  });

  it("refuses a client that only writes a registered NSE's name into the label", async () => {
    expect(await attempt("nsc-1", "spiffe://k8s.nsm/ns/vl3/pod/nsc-1")).toMatchObject({
      passed: false,
      code: "PERMISSION_DENIED",
      message: expect.stringContaining(
        `path_segments[0].name: rule peer_origin: "nsc-1" sent this request, not the peer "nse-a"`,
      ),
    });
  });

  it("refuses a first segment named like the NSE but signed by an identity not allowed to peer", async () => {
    expect(await attempt("nse-a", "spiffe://k8s.nsm/ns/other/pod/nse-a")).toMatchObject({
      passed: false,
      code: "PERMISSION_DENIED",
      message: expect.stringContaining(
        'rule peer_allowed: identity "spiffe://k8s.nsm/ns/other/pod/nse-a" may not peer (allowed: spiffe://k8s.nsm/ns/vl3/pod/*)',
      ),
    });
  });

  it("refuses a sibling allowed to peer that poses as another registered NSE (rule peer_registrant)", async () => {
    expect(await attempt("nse-a", "spiffe://k8s.nsm/ns/vl3/pod/rogue")).toMatchObject({
      passed: false,
      code: "PERMISSION_DENIED",
      message: expect.stringContaining(
        `rule peer_registrant: identity "spiffe://k8s.nsm/ns/vl3/pod/rogue" did not register "nse-a" ("${PEER}" did)`,
      ),
    });
  });

  it("refuses a segment 0 whose identity is claimed, not proven (rule origin_proven)", async () => {
    expect(await attempt("nse-a", undefined)).toMatchObject({
      passed: false,
      code: "PERMISSION_DENIED",
      message: expect.stringContaining(
        `rule origin_proven: identity "spiffe://k8s.nsm/ns/vl3/pod/nse-a" is claimed, not proven`,
      ),
    });
  });
});

describe("peer element with path tokens on: an unmarked NSM vL3 peer (mixed fleets)", () => {
  const allowedPeer = {
    test: (id: string) => id.startsWith("spiffe://k8s.nsm/ns/vl3/pod/"),
    describe: "vl3",
  };
  const element = peerRequests({
    self: "nse-m",
    isPeer: () => true,
    allowedPeer,
    nsmPeer: { recognise: () => "nse-go", confirm: () => true },
  });
  const served = async (identity: string | undefined) => {
    const r = recorder();
    await element(r.next).request(req({ id: "c1", networkService: "vl3" }), { ...ctx(), origin: identity });
    return r.requests[0]!.ctx.peerOf;
  };

  it("takes a request shaped as NSM's peer for that peer only when its proven origin may peer", async () => {
    expect(await served("spiffe://k8s.nsm/ns/vl3/pod/nse-go")).toBe("nse-go");
  });

  it("serves anyone else (an unproven origin too) who shapes a request so as an NSC, never as a peer", async () => {
    expect(await served("spiffe://k8s.nsm/ns/default/pod/nsc-1")).toBeUndefined();
    expect(await served(undefined)).toBeUndefined();
  });
});
