// Where descriptors pass, the sandbox nsmgr reaches an endpoint only through the socket descriptor it
// registered with. Another identity's Register of that endpoint's name, with a socket of its own, is
// refused by the registry (client_allowed); the nsmgr must then still hold the endpoint's descriptors,
// not the intruder's (taken before the registry's verdict, they would have replaced them).
import { readlinkSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import type * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { procFdPath } from "../../../src/fd/inode-url.js";
import { withFdPassing } from "../../../src/grpc/fd-transport.js";
import { NetworkServiceEndpoint } from "../../../src/grpc/gen/registry/registry.js";
import { parseGrpcUrl } from "../../../src/grpc/url.js";
import { endpointRegistryClient } from "../../../src/registry/clients.js";
import { callWithPath } from "../../../src/registry/path-call.js";
import { type Sandbox, startSandbox } from "../../../src/sandbox/index.js";
import { pathSecurity } from "../../../src/security/path-security.js";
import { EMPTY_REGISTRY_PATH } from "../../../src/security/registry-path.js";
import { tempDir } from "../../support/cli.js";
import { codeOf } from "../../support/endpoint.js";
import { fdAvailable, fdSkipReason } from "../../support/fd/native.js";
import { eventually } from "../mesh/helpers.js";

describe.skipIf(!fdAvailable)(
  `another identity's Register of an endpoint's name through the nsmgr${fdSkipReason}`,
  () => {
    let sb: Sandbox;
    const held = () => {
      const url = sb.registry.entries().find((e) => e.name === "nse-a")!.url;
      // The file the nsmgr's descriptor is open on (the registry holds the descriptor's /proc path).
      try {
        return readlinkSync(procFdPath(Number(url.split("/").at(-1))));
      } catch {
        return `${url}: closed`;
      }
    };

    beforeAll(async () => {
      sb = await startSandbox({ descriptors: true }); // mTLS and path tokens on every hop
      await sb.startEndpoint("nse-a");
      await eventually(() => expect(sb.nsmgrs[0]!.local!.netnsOf("nse-a")).toBeDefined(), 10_000);
    });
    afterAll(() => sb?.stop());

    it("is refused, and the nsmgr keeps the endpoint's own socket and namespace", async () => {
      const local = sb.nsmgrs[0]!.local!;
      const socket = sb.endpointEnv("nse-a").NSM_LISTEN_ON!.replace("unix://", "");
      expect(held()).toBe(socket);
      const netns = local.netnsOf("nse-a")?.inode;
      expect(netns).toBeDefined();

      // The intruder: its own SVID and tokens, its own listening socket offered on the Register.
      const { transport: mtls, identity } = await sb.trustDomain!.security("intruder", "default");
      const tokens = pathSecurity({ identity, maxTokenLifetimeMs: 60_000 })!;
      const { transport, carrier } = withFdPassing(mtls.withPathTokens(tokens.generate), true);
      const path = join(tempDir(), "intruder.sock");
      const server = createServer().listen(path);
      await new Promise((r) => server.once("listening", r));
      const nsmgr = parseGrpcUrl(sb.nsmgrs[0]!.url);
      const offered = carrier!.offerFile(nsmgr, path);
      const client = endpointRegistryClient(sb.nsmgrs[0]!.url, { initialMs: 50, maxMs: 500 }, transport);
      const entry = NetworkServiceEndpoint.fromPartial({
        name: "nse-a",
        networkServiceNames: [sb.service],
        url: offered.url,
      });
      const outcome = await callWithPath(client as unknown as grpc.Client, client.register as never, entry, {
        timeoutMs: 5000,
        path: EMPTY_REGISTRY_PATH,
      }).then(
        () => "OK",
        (e) => codeOf(e),
      );
      client.close();
      offered.withdraw();
      server.close();

      expect(outcome).toBe("PERMISSION_DENIED");
      expect(held()).toBe(socket);
      expect(local.netnsOf("nse-a")?.inode).toEqual(netns);
    });

    it("without a token of its own, is refused by the nsmgr itself with PERMISSION_DENIED (not UNKNOWN)", async () => {
      const { transport } = await sb.trustDomain!.security("intruder", "default");
      const client = endpointRegistryClient(sb.nsmgrs[0]!.url, { initialMs: 50, maxMs: 500 }, transport);
      const entry = NetworkServiceEndpoint.fromPartial({ name: "nse-x", networkServiceNames: [sb.service] });
      const outcome = await callWithPath(client as unknown as grpc.Client, client.register as never, entry, {
        timeoutMs: 5000,
        path: EMPTY_REGISTRY_PATH,
      }).then(
        () => ({ code: "OK", details: "" }),
        (e: grpc.ServiceError) => ({ code: codeOf(e), details: e.details }),
      );
      client.close();
      expect(outcome).toEqual({ code: "PERMISSION_DENIED", details: expect.stringContaining("registry") });
    });
  },
);
