// Domain resolution as NSM's dnsresolve does it, against a fake DNS: SRV and A of the same name,
// first record wins, a missing record is an error naming the domain and the name looked up.
import { describe, expect, it } from "vitest";
import {
  DomainResolveError,
  type DomainResolver,
  NSMGR_PROXY_SERVICE,
  REGISTRY_SERVICE,
  resolveDomain,
} from "../../../src/registry/resolve.js";
import { FakeDomainResolver } from "../../../src/sandbox/fake-resolver.js";

const dns = new FakeDomainResolver();
dns.add("registry.nsm-system.my.cluster2", "127.0.0.1:40002");
dns.add("nsmgr-proxy.nsm-system.my.cluster2", "tcp://127.0.0.1:40004");

const fail = async (service: string, domain: string, resolver: DomainResolver = dns) => {
  try {
    await resolveDomain(resolver, service, domain);
  } catch (err) {
    if (err instanceof DomainResolveError) return err;
    throw err;
  }
  throw new Error("expected a DomainResolveError");
};

describe("resolveDomain", () => {
  it.each([
    [REGISTRY_SERVICE, "my.cluster2", "tcp://127.0.0.1:40002"],
    [NSMGR_PROXY_SERVICE, "my.cluster2", "tcp://127.0.0.1:40004"],
    // NSM: a URL with an IP and a port is used as is.
    [REGISTRY_SERVICE, "tcp://10.0.0.1:5002", "tcp://10.0.0.1:5002"],
    [NSMGR_PROXY_SERVICE, "tcp://10.0.0.1:5002", "tcp://10.0.0.1:5004"],
    // The Go seed's remote list: bare IPs (NSM's ports), or IP:port of the registry.
    [REGISTRY_SERVICE, "10.1.1.2", "tcp://10.1.1.2:5002"],
    [REGISTRY_SERVICE, "10.1.1.2:5005", "tcp://10.1.1.2:5005"],
    [NSMGR_PROXY_SERVICE, "10.1.1.2:5005", "tcp://10.1.1.2:5004"],
    [REGISTRY_SERVICE, "fd00::2", "tcp://[fd00::2]:5002"],
  ])("%s in %s is %s", async (service, domain, url) => {
    expect(await resolveDomain(dns, service, domain)).toBe(url);
  });

  it("asks for the SRV and the A record of the same name", async () => {
    await resolveDomain(dns, REGISTRY_SERVICE, "my.cluster2");
    expect(dns.asked.get("registry.nsm-system.my.cluster2")).toBeGreaterThanOrEqual(2);
  });

  it("takes the first record of each answer", async () => {
    const many: DomainResolver = {
      lookupSrv: async () => [{ port: 1111 }, { port: 2222 }],
      lookupIpAddr: async () => ["10.9.0.1", "10.9.0.2"],
    };
    expect(await resolveDomain(many, REGISTRY_SERVICE, "x")).toBe("tcp://10.9.0.1:1111");
  });

  it("fails for an unknown domain or an empty answer, naming what was looked up", async () => {
    const e = await fail(NSMGR_PROXY_SERVICE, "floating");
    expect(e.problem).toBe("not-found");
    expect(e.message).toContain("nsmgr-proxy.nsm-system.floating");
    const empty: DomainResolver = { lookupSrv: async () => [{ port: 1 }], lookupIpAddr: async () => [] };
    expect((await fail(REGISTRY_SERVICE, "x", empty)).message).toContain("no A/AAAA record");
  });

  it("refuses the seed's accumulated domain (svc@ip1@ip2 split at the first @)", async () => {
    const e = await fail(REGISTRY_SERVICE, "10.1.1.2@10.2.1.2");
    expect(e.problem).toBe("invalid");
    expect(e.message).toContain("holds an @");
  });
});
