// `vl3-nse workload-api` as a real child process: a client fetches an SVID for the ID asked for on
// the socket it names; SIGTERM stops it with exit 0; missing or bad flags exit 2 naming the flag.
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/log.js";
import { WorkloadApiSource } from "../../../src/security/svid.js";
import { cleanupCli, cli, tempDir } from "../../support/cli.js";

let source: WorkloadApiSource | undefined;
afterEach(() => {
  source?.close();
  source = undefined;
  cleanupCli();
});

describe("vl3-nse workload-api", () => {
  it("issues the asked-for SVID on its socket, and SIGTERM stops it (exit 0)", async () => {
    const address = `unix://${join(tempDir(), "agent.sock")}`;
    const run = cli([
      "workload-api",
      "--listen",
      address,
      "--trust-domain",
      "example.org",
      "--spiffe-id",
      "spiffe://example.org/ns/demo/pod/nse-a",
      "--svid-ttl",
      "10m",
    ]);
    // The client retries (1 s steps here) until the child has bound its socket.
    const wl = new WorkloadApiSource({
      address,
      log: silentLogger(),
      backoffStepMs: 100,
      backoffMaxMs: 500,
    });
    source = wl;
    const identity = await wl.ready();
    expect(identity.spiffeId).toBe("spiffe://example.org/ns/demo/pod/nse-a");
    const lifetime = identity.notAfter.getTime() - Date.now();
    expect(lifetime).toBeGreaterThan(8 * 60_000);
    expect(lifetime).toBeLessThanOrEqual(10 * 60_000);
    expect(run.output()).toContain("never use it in production");
    run.child.kill("SIGTERM");
    expect(await run.exit).toBe(0);
  });

  it.each([
    [["workload-api", "--trust-domain", "example.org"], "--listen"],
    [["workload-api", "--listen", "unix:///tmp/x.sock"], "--trust-domain"],
    [["workload-api", "--listen", "unix:///tmp/x.sock", "--trust-domain", "Example.org"], "lower case"],
    [["workload-api", "--listen", "tcp://localhost:1", "--trust-domain", "a.org"], "--listen"],
    [
      ["workload-api", "--listen", "unix:///tmp/x.sock", "--trust-domain", "a.org", "--svid-ttl", "x"],
      "--svid-ttl",
    ],
    [
      [
        "workload-api",
        "--listen",
        "unix:///tmp/x.sock",
        "--trust-domain",
        "a.org",
        "--spiffe-id",
        "spiffe://b.org/x",
      ],
      "not in the trust domain",
    ],
  ])("%j exits 2 naming %s", async (args, named) => {
    const run = cli(args);
    expect(await run.exit).toBe(2);
    expect(run.output()).toContain(named);
  });
});
