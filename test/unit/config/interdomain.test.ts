// Interdomain settings: qualified names as NSM v1 takes them, the remote-domain list under its own
// name and the Go seed's (NSM_REMOTE_NS_IP_LIST), and the mistakes refused with the setting named.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/config.js";
import { parseConfigFile } from "../../../src/config/file.js";
import { configErrorOf } from "../../support/config.js";

const errorOf = configErrorOf;

describe("interdomain configuration", () => {
  it("takes NSM v1's floating names as they are", () => {
    const c = loadConfig({
      NSM_NAME: "nse-vl3-1@my.cluster3",
      NSM_SERVICE_NAMES: "floating-vl3@my.cluster3",
    });
    expect(c.name).toBe("nse-vl3-1@my.cluster3");
    expect(c.serviceNames).toEqual(["floating-vl3@my.cluster3"]);
    expect(c.remoteDomains).toEqual([]);
    expect(c.domain).toBe("");
  });

  it("merges the seed's NSM_REMOTE_NS_IP_LIST with NSM_REMOTE_DOMAINS and drops its own domain", () => {
    const c = loadConfig({
      NSM_DOMAIN: "cluster1",
      NSM_REMOTE_DOMAINS: "cluster2",
      NSM_REMOTE_NS_IP_LIST: "cluster1,10.2.1.2,cluster2,11.1.1.2:5005",
    });
    expect(c.remoteDomains).toEqual(["cluster2", "10.2.1.2", "11.1.1.2:5005"]);
  });

  it("needs NSM_DOMAIN with remote domains, naming the setting", () => {
    const e = errorOf({ NSM_REMOTE_NS_IP_LIST: "10.1.1.2" });
    expect(e.key).toBe("NSM_DOMAIN");
    expect(e.message).toContain("NSM_REMOTE_NS_IP_LIST");
  });

  it.each([
    ["NSM_NAME", "nse@a@b", "holds an @"],
    ["NSM_SERVICE_NAMES", "svc@10.1.1.2@10.2.1.2", "holds an @"],
    ["NSM_NAME", "nse@", "is empty"],
    ["NSM_REMOTE_DOMAINS", "c2,a@b", "holds an @"],
    ["NSM_DOMAIN", "my cluster", "is not a DNS name"],
  ])("%s=%s is refused (%s)", (key, value, why) => {
    const e = errorOf({ NSM_DOMAIN: "c1", [key]: value });
    expect(e.key).toBe(key);
    expect(e.message).toContain(why);
  });

  it("takes the remote list from the seed's config file under env:, and leaves NSM_DOMAIN to the environment", () => {
    const file = parseConfigFile("env:\n  NSM_REMOTE_NS_IP_LIST: 10.1.1.2,10.2.1.2\n", "config.yaml");
    expect(loadConfig({ NSM_DOMAIN: "10.3.1.2" }, file).remoteDomains).toEqual(["10.1.1.2", "10.2.1.2"]);
  });
});
