// A vpp-agent that accepts calls and never answers: only the client's deadline ends them.
import * as grpc from "@grpc/grpc-js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DataplaneUnavailableError } from "../../../src/dataplane/types.js";
import { ConfiguratorServiceService } from "../../../src/grpc/gen/ligato/configurator/configurator.js";
import { VppAgentDataplane } from "../../../src/vpp/dataplane.js";
import { nscConnection } from "./fixtures.js";

describe("VppAgentDataplane with an agent that never answers", () => {
  let server: grpc.Server;
  let port: number;
  beforeEach(async () => {
    server = new grpc.Server();
    const hang = () => {}; // never calls back: only the client's deadline ends the call
    server.addService(ConfiguratorServiceService, { get: hang, update: hang, delete: hang, dump: hang });
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
  });
  afterEach(() => server.forceShutdown());

  it("turns a missed deadline into DataplaneUnavailableError", async () => {
    const dp = new VppAgentDataplane({ target: `127.0.0.1:${port}`, callTimeoutMs: 300 });
    try {
      const nsc = nscConnection("conn-a", "172.16.1.1", "172.16.1.2");
      const err = await dp.apply({ put: nsc.items, del: [] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DataplaneUnavailableError);
      expect((err as Error).message).toMatch(/did not answer in time/);
    } finally {
      await dp.close();
    }
  });
});
