// A Find watch through the sandbox nsmgr (where descriptors pass, endpoints reach the registry only
// through it): when the registry behind it goes away, the caller's stream ends with an error at once,
// so that its watch starts again; it must not hang on stale entries (the interdomain cut-off test hung
// so: the nsmgr took the registry's CANCELLED for its own cancel and sent nothing).
import type * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { NetworkServiceEndpoint } from "../../../src/grpc/gen/registry/registry.js";
import { Transport } from "../../../src/grpc/transport.js";
import { endpointRegistryClient } from "../../../src/registry/clients.js";
import { type Sandbox, startSandbox } from "../../../src/sandbox/index.js";
import { waitFor } from "../../support/endpoint.js";

let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.stop();
  sb = undefined;
});

describe("Find through the sandbox nsmgr", () => {
  it("ends with an error when the registry behind the nsmgr goes away", async () => {
    sb = await startSandbox({ security: false });
    const client = endpointRegistryClient(sb.nsmgrs[0]!.url, { initialMs: 50, maxMs: 500 }, new Transport());
    try {
      const watch = (onEnd: (e?: grpc.ServiceError) => void) => {
        const stream = client.find({
          networkServiceEndpoint: NetworkServiceEndpoint.fromPartial({}),
          watch: true,
        });
        stream.on("error", (e: grpc.ServiceError) => onEnd(e));
        stream.on("end", () => onEnd());
        stream.on("data", () => {});
        return stream;
      };
      let broken: grpc.ServiceError | "ended" | undefined;
      const finds = sb.registry.calls.nseFind;
      watch((e) => {
        broken ??= e ?? "ended";
      });
      // The watch is open at the registry (it counts the Find) before the registry goes.
      await waitFor(() => sb!.registry.calls.nseFind > finds, "the Find to reach the registry", 10_000);
      await sb.registry.restart({ downMs: 200 });
      await waitFor(() => broken !== undefined, "the caller's watch to end", 10_000);
      expect(broken).not.toBe("ended");
      expect((broken as grpc.ServiceError).code).toBeGreaterThan(0);
    } finally {
      client.close();
    }
  });
});
