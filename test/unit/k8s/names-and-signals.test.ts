import { describe, expect, it } from "vitest";
import { policyRules } from "../../../src/k8s/api-calls.js";
import { eventForSignal } from "../../../src/k8s/events.js";
import { K8S_API_CALLS } from "../../../src/k8s/index.js";
import { leaseName, serviceSelector, serviceSlug } from "../../../src/k8s/lease-names.js";

const DNS1123_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

describe("lease names", () => {
  it("names a lease from the service and prefix", () => {
    expect(leaseName("vl3-service", "172.16.3.0/24")).toBe("vl3-vl3-service-172-16-3-0-24");
    expect(serviceSelector("vl3-service")).toBe(
      "app.kubernetes.io/managed-by=vl3-nse,vl3.networkservicemesh.io/service=vl3-service",
    );
  });

  it.each([
    "vl3-service",
    "Vl3",
    "vl3@my.cluster3",
    "a".repeat(80),
    "@@@",
    "svc_1",
  ])("makes a valid DNS-1123 name and label value of service %s", (service) => {
    for (const prefix of ["172.16.3.0/24", "fd00:16::/120", "::/64"])
      expect(leaseName(service, prefix)).toMatch(DNS1123_SUBDOMAIN);
    const slug = serviceSlug(service);
    expect(slug).toMatch(LABEL_VALUE);
    expect(slug.length).toBeLessThanOrEqual(49);
  });

  it("keeps services apart that clean up to the same text", () => {
    expect(serviceSlug("Vl3")).not.toBe(serviceSlug("vl3"));
    expect(serviceSlug("a@b")).not.toBe(serviceSlug("a-b"));
  });
});

describe("eventForSignal", () => {
  it("maps prefix, peer and data-plane signals; leaves the rest to metrics", () => {
    expect(eventForSignal({ type: "prefix", prefix: "172.16.0.0/24", source: "kubernetes" })?.reason).toBe(
      "PrefixClaimed",
    );
    expect(eventForSignal({ type: "peer", name: "b", up: true })).toEqual({
      type: "Normal",
      reason: "PeerUp",
      message: "Peer b is up",
    });
    expect(eventForSignal({ type: "peer", name: "b", up: false })).toEqual({
      type: "Warning",
      reason: "PeerDown",
      message: "Peer b is down",
    });
    expect(
      eventForSignal({ type: "dataplane", backend: "kernel", outcome: "error", seconds: 1, items: 2 })?.type,
    ).toBe("Warning");
    expect(
      eventForSignal({ type: "dataplane", backend: "kernel", outcome: "ok", seconds: 1, items: 2 }),
    ).toBeUndefined();
    expect(eventForSignal({ type: "close", outcome: "ok", seconds: 0 })).toBeUndefined();
    expect(
      eventForSignal({
        type: "prefix-refused",
        prefix: "10.0.0.0/24",
        source: "ipam",
        reason: "outside the pool",
      }),
    ).toEqual({
      type: "Warning",
      reason: "PrefixRefused",
      message: "Refused prefix 10.0.0.0/24 from ipam: outside the pool; kept the one held",
    });
    expect(
      eventForSignal({ type: "rejection", rpc: "Request", code: "INVALID_ARGUMENT", field: "x" }),
    ).toBeUndefined();
    expect(eventForSignal({ type: "ipam", prefix: "p", used: 1, capacity: 2 })).toBeUndefined();
  });
});

describe("the API calls vl3-nse makes", () => {
  it("come to one least-privilege rule per resource", () => {
    expect(policyRules(K8S_API_CALLS)).toEqual([
      { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "watch"] },
      { apiGroups: [""], resources: ["events"], verbs: ["create"] },
      {
        apiGroups: ["coordination.k8s.io"],
        resources: ["leases"],
        verbs: ["get", "list", "create", "update", "delete"],
      },
    ]);
  });
});
