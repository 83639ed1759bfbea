// Three domains: one full mesh across all of them, the same bare name in two domains as two peers
// with two prefixes, and the Go seed's case of two remote domains configured the seed's way
// (NSM_REMOTE_NS_IP_LIST), each queried as svc@domain, never svc@d1@d2.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/config.js";
import { MemoryDataplane } from "../../../src/dataplane/memory.js";
import { silentLogger } from "../../../src/log.js";
import { startNse } from "../../../src/nse.js";
import { Domains, eventually, expectDistinctPrefixes, expectFullMesh } from "./helpers.js";

describe("three domains", () => {
  let w: Domains;

  beforeAll(async () => {
    w = await Domains.start({ domains: 3 });
    await Promise.all([
      w.startEndpoint("cluster1", "nse-a"),
      w.startEndpoint("cluster2", "nse-a"),
      w.startEndpoint("cluster3", "nse-b"),
      w.startEndpoint("cluster3", "nse-c"),
    ]);
    // The seed's way: the remote list under its own name, the domains listed in the order it had them.
    const d2 = w.domain("cluster2");
    const env = {
      ...d2.endpointEnv("seed-nse"),
      NSM_REMOTE_DOMAINS: "",
      NSM_REMOTE_NS_IP_LIST: "cluster1,cluster3",
    };
    const dataplane = new MemoryDataplane();
    w.dataplanes.set("cluster2/seed-nse", dataplane);
    // Its SVID from the sandbox's trust domain, for mTLS and path tokens, as every sandbox endpoint's.
    const { transport, identity } = await d2.trustDomain!.security("seed-nse", "vl3");
    d2.endpoints.set(
      "seed-nse",
      await startNse(loadConfig(env), { log: silentLogger(), dataplane, transport, identity }),
    );
  });

  afterAll(() => w?.stop());

  it("converge to one full mesh; one bare name in two domains is two peers with two prefixes", async () => {
    await eventually(() => expectFullMesh(w, 5), 30_000);
    const ids = w.members().map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(["nse-a@cluster1", "nse-a@cluster2", "seed-nse@cluster2"]));
    expectDistinctPrefixes(w.members().map((m) => m.nse.endpoint.prefix!));
  });

  it("the seed-configured endpoint asked each remote domain once by name, never a name with two @", () => {
    const asked = [...w.sb.interdomain!.resolver.asked.keys()];
    expect(asked).toEqual(
      expect.arrayContaining(["registry.nsm-system.cluster1", "registry.nsm-system.cluster3"]),
    );
    expect(asked.filter((n) => n.split("@").length > 1)).toEqual([]);
    const seed = w.members().find((m) => m.id === "seed-nse@cluster2")!;
    expect(seed.nse.config.remoteDomains).toEqual(["cluster1", "cluster3"]);
  });
});
