// Bad domains through the real chain (registry → nsmgr proxy → registry proxy): an unknown domain is
// NOT_FOUND naming the DNS name looked up, the seed's accumulated `svc@d1@d2` is INVALID_ARGUMENT; an
// endpoint told of a domain that does not resolve keeps its own domain's mesh and keeps retrying.
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/config.js";
import { MemoryDataplane } from "../../../src/dataplane/memory.js";
import { NetworkServiceEndpoint } from "../../../src/grpc/gen/registry/registry.js";
import { silentLogger } from "../../../src/log.js";
import { startNse } from "../../../src/nse.js";
import { endpointRegistryClient } from "../../../src/registry/clients.js";
import { listEndpoints } from "../../../src/registry/list.js";
import { Domains, eventually, expectFullMesh } from "./helpers.js";

describe("bad domains", () => {
  let w: Domains;

  beforeAll(async () => {
    w = await Domains.start({ domains: 2 });
    await Promise.all([w.startEndpoint("cluster1", "nse-a"), w.startEndpoint("cluster2", "nse-b")]);
  });

  afterAll(() => w?.stop());

  const find = async (service: string) => {
    // A client with an SVID of the sandbox's trust domain, as every participant.
    const { transport } = await w.domain("cluster1").trustDomain!.security("finder", "default");
    const client = endpointRegistryClient(
      w.domain("cluster1").registry.url,
      { initialMs: 50, maxMs: 500 },
      transport,
    );
    const query = NetworkServiceEndpoint.fromPartial({ networkServiceNames: [service] });
    return listEndpoints(client, query, 5000).finally(() => client.close());
  };

  it("an unknown domain is NOT_FOUND, naming what was looked up", async () => {
    await expect(find("vl3-service@nowhere")).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
      details: expect.stringContaining("registry.nsm-system.nowhere"),
    });
  });

  it("the seed's svc@cluster2@cluster3 is INVALID_ARGUMENT, saying why", async () => {
    await expect(find("vl3-service@cluster2@cluster3")).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining("holds an @"),
    });
  });

  it("an endpoint with an unresolvable remote domain still meshes with the domains that resolve", async () => {
    const d1 = w.domain("cluster1");
    const env = { ...d1.endpointEnv("nse-c"), NSM_REMOTE_DOMAINS: "cluster2,nowhere" };
    const dataplane = new MemoryDataplane();
    w.dataplanes.set("cluster1/nse-c", dataplane);
    // Its SVID from the sandbox's trust domain, for mTLS and path tokens, as every sandbox endpoint's.
    const { transport, identity } = await d1.trustDomain!.security("nse-c", "vl3");
    d1.endpoints.set(
      "nse-c",
      await startNse(loadConfig(env), { log: silentLogger(), dataplane, transport, identity }),
    );
    await eventually(() => expectFullMesh(w, 3), 20_000);
  });
});
