// The qualified-name module against NSM v1's rules (split at the first @), the identities the peer
// rule uses across domains, and the Go seed's two-remote-domain bug (svc@ip1@ip2) as a case.
import { describe, expect, it } from "vitest";
import {
  domain,
  domainProblem,
  isInterdomain,
  join,
  localForm,
  qualify,
  sameService,
  serviceOf,
  target,
  watchedServices,
} from "../../../src/registry/interdomain.js";
import { dialsPeer } from "../../../src/registry/peer.js";

describe("interdomain names (NSM v1 rules)", () => {
  it.each([
    // name, interdomain, target, domain
    ["svc", false, "svc", ""],
    ["svc@my.cluster2", true, "svc", "my.cluster2"],
    ["nse-1@floating.domain", true, "nse-1", "floating.domain"],
    ["svc@a@b", true, "svc", "a@b"],
    ["svc@", true, "svc", ""],
    ["@dom", true, "", "dom"],
    ["svc@tcp://10.0.0.1:5002", true, "svc", "tcp://10.0.0.1:5002"],
  ])("%s: interdomain %s, target %s, domain %s", (name, inter, t, d) => {
    expect(isInterdomain(name)).toBe(inter);
    expect(target(name)).toBe(t);
    expect(domain(name)).toBe(d);
  });

  it.each([
    ["svc", "c2", "svc@c2"],
    ["svc", "", "svc"],
  ])("join(%s, %s) = %s", (t, d, out) => {
    expect(join(t, d)).toBe(out);
    if (d) expect([target(out), domain(out)]).toEqual([t, d]);
  });
});

describe("identities and how to address them", () => {
  it.each([
    // name, home, identity, local form from home
    ["nse-a", "", "nse-a", "nse-a"],
    ["nse-a", "c1", "nse-a@c1", "nse-a"],
    ["nse-b@c2", "c1", "nse-b@c2", "nse-b@c2"],
    ["nse-f@floating", "c1", "nse-f@floating", "nse-f@floating"],
    ["nse-f@floating", "", "nse-f@floating", "nse-f@floating"],
  ])("%s seen from %s is %s, addressed as %s", (name, home, id, local) => {
    expect(qualify(name, home)).toBe(id);
    expect(localForm(qualify(name, home), home)).toBe(local);
  });

  it.each([
    // peer identity, our service, home, the service to request
    ["nse-b", "svc", "", "svc"],
    ["nse-a@c1", "svc", "c1", "svc"],
    ["nse-b@c2", "svc", "c1", "svc@c2"],
    ["nse-f@floating", "svc@floating", "c1", "svc@floating"],
    ["nse-f@floating", "svc@floating", "", "svc@floating"],
  ])("a peer request to %s for %s from %s names %s", (peer, service, home, out) => {
    expect(serviceOf(peer, service, home)).toBe(out);
  });

  it("both sides of a cross-domain pair agree on who dials", () => {
    const a = qualify("nse-z", "c1");
    const b = qualify("nse-a", "c2");
    // Bare names would say nse-a dials; both sides must decide on the same strings.
    expect(dialsPeer(a, b)).toBe(!dialsPeer(b, a));
    expect(dialsPeer(a, b)).toBe("nse-z@c1" < "nse-a@c2");
  });

  it("a served service matches by target (the remote proxy strips @domain, floating keeps it)", () => {
    expect(sameService("svc", "svc@c2")).toBe(true);
    expect(sameService("svc@floating", "svc@floating")).toBe(true);
    expect(sameService("svc", "other@c2")).toBe(false);
  });
});

describe("several remote domains (the Go seed's svc@ip1@ip2 bug)", () => {
  it("watches the service once per remote domain, each with one @", () => {
    expect(watchedServices("svc", ["10.1.1.2", "10.2.1.2", "11.1.1.2"])).toEqual([
      "svc",
      "svc@10.1.1.2",
      "svc@10.2.1.2",
      "svc@11.1.1.2",
    ]);
  });

  it("never repeats a domain nor watches a floating service's own domain twice", () => {
    expect(watchedServices("svc", ["c2", "c2"])).toEqual(["svc", "svc@c2"]);
    expect(watchedServices("svc@floating", ["floating", "c2"])).toEqual(["svc@floating", "svc@c2"]);
  });

  it("refuses the seed's accumulated name as a domain, with the reason", () => {
    expect(domain("svc@10.1.1.2@10.2.1.2")).toBe("10.1.1.2@10.2.1.2");
    expect(domainProblem(domain("svc@10.1.1.2@10.2.1.2"))).toContain("holds an @");
  });

  it.each([
    ["my.cluster2", undefined],
    ["10.1.1.2", undefined],
    ["10.1.1.2:5005", undefined],
    ["tcp://10.1.1.2:5002", undefined],
    ["", "is empty"],
    ["a b", "is not a DNS name"],
  ])("domain %j: %s", (value, problem) => {
    const p = domainProblem(value);
    if (problem === undefined) expect(p).toBeUndefined();
    else expect(p).toContain(problem);
  });
});
