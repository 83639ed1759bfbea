// `vl3-nse run` as a real child process, configured by environment, on a temporary unix socket: a
// client is served over SPIFFE mTLS (its SVID from a development Workload API); SIGTERM drains it
// (exit 0, socket removed); a bad configuration exits 2 naming the setting; --help exits 0.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/log.js";
import { WorkloadApiServer } from "../../../src/security/workload-api-server.js";
import { cleanupCli, cli, tempDir } from "../../support/cli.js";
import { closeOn, nscRequest, openClients, requestOn, waitFor } from "../../support/endpoint.js";
import { testSecurity, tokenMetadata } from "../../support/security.js";

afterEach(cleanupCli);

let workloadApi: WorkloadApiServer;
beforeAll(async () => {
  workloadApi = await WorkloadApiServer.start({ trustDomain: "cli.test", log: silentLogger() });
});
afterAll(() => workloadApi.stop());

describe("vl3-nse run", () => {
  it("serves on a unix socket over mTLS, and SIGTERM drains it: exit 0, socket file gone", async () => {
    const dir = tempDir();
    const socket = join(dir, "nse.sock");
    const agent = await workloadApi.addWorkload({
      listen: `unix://${join(dir, "agent.sock")}`,
      spiffeId: "spiffe://cli.test/ns/vl3/pod/nse-cli",
    });
    const run = cli(["run"], {
      SPIFFE_ENDPOINT_SOCKET: agent,
      NSM_NAME: "nse-cli",
      NSM_SERVICE_NAMES: "vl3-test",
      NSM_LISTEN_ON: `unix://${socket}`,
      NSM_PREFIX_POOL: "198.18.0.0/15",
      NSM_PREFIX: "198.18.4.0/24",
    });
    await waitFor(() => existsSync(socket) || run.child.exitCode !== null, "the socket", 20_000);
    expect(existsSync(socket), run.output()).toBe(true);
    const client = await testSecurity("nsc-cli", "default", workloadApi.ca);
    const { ns, close } = openClients(`unix://${socket}`, client.transport);
    // A client as NSM's: its path token for the endpoint on every call.
    const token = () => tokenMetadata(client, "spiffe://cli.test/ns/vl3/pod/nse-cli");
    try {
      const conn = await requestOn(ns, nscRequest({ name: "nsc-cli" }), 10_000, await token());
      expect(conn.context!.ipContext!.srcIpAddrs).toEqual(["198.18.4.2/32"]);
      expect(conn.networkServiceEndpointName).toBe("nse-cli");
      await closeOn(ns, conn, 10_000, await token());
    } finally {
      close();
    }
    run.child.kill("SIGTERM");
    expect(await run.exit).toBe(0);
    expect(existsSync(socket)).toBe(false);
    expect(run.output()).toContain("stopped");
  });

  it("exits 2 with a message naming NSM_PREFIX when the prefix is not a CIDR", async () => {
    const run = cli(["run"], { NSM_PREFIX: "foo", NSM_LISTEN_ON: `unix://${join(tempDir(), "nse.sock")}` });
    expect(await run.exit).toBe(2);
    expect(run.output()).toMatch(/NSM_PREFIX: "foo" is not a CIDR/);
  });

  it("exits 0 for --help, and prints the usage and the settings", async () => {
    const run = cli(["--help"]);
    expect(await run.exit).toBe(0);
    expect(run.output()).toContain("Usage:");
    expect(run.output()).toContain("NSM_LISTEN_ON");
  });
});
