// Secure by default, against `vl3-nse run` as a child process: without an identity source and without
// NSM_INSECURE it exits 2 naming both; with SPIFFE_ENDPOINT_SOCKET it waits for its SVID (/readyz
// says so), then serves mTLS only: plain text and a client of another trust domain are refused, a
// client of its trust domain (with its path token) is served; NSM_INSECURE=true serves plain text with a warning.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Transport } from "../../../src/grpc/transport.js";
import { silentLogger } from "../../../src/log.js";
import { createCertificateAuthority } from "../../../src/security/ca.js";
import { WorkloadApiServer } from "../../../src/security/workload-api-server.js";
import { cleanupCli, cli } from "../../support/cli.js";
import { closeOn, nscRequest, openClients, requestOn, waitFor } from "../../support/endpoint.js";
import { testSecurity, tokenMetadata } from "../../support/security.js";
import { eventually } from "../mesh/helpers.js";

let workloadApi: WorkloadApiServer;
const dirs: string[] = [];
beforeAll(async () => {
  workloadApi = await WorkloadApiServer.start({ trustDomain: "run.test", log: silentLogger() });
});
afterAll(() => workloadApi.stop());
afterEach(() => {
  cleanupCli();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "vl3-sec-"));
  dirs.push(dir);
  return dir;
}

const baseEnv = (dir: string) => ({
  NSM_NAME: "nse-sec",
  NSM_SERVICE_NAMES: "vl3-test",
  NSM_LISTEN_ON: `unix://${join(dir, "nse.sock")}`,
  NSM_PREFIX_POOL: "198.18.0.0/15",
  NSM_PREFIX: "198.18.6.0/24",
  NSM_DEBUG_LISTEN_ON: "tcp://127.0.0.1:0",
});

/** The debug URL the child logged, then its /readyz. */
async function readyz(output: () => string): Promise<{ status: number; body: Record<string, unknown> }> {
  const m = await eventually(() => {
    const found = /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*debug server listening/.exec(output());
    if (!found) throw new Error("no debug server yet");
    return found;
  }, 20_000);
  const res = await fetch(`${m[1]}/readyz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("vl3-nse run is secure by default", () => {
  it("exits 2 naming SPIFFE_ENDPOINT_SOCKET and NSM_INSECURE when it has neither", async () => {
    const run = cli(["run"], baseEnv(tempDir()));
    expect(await run.exit).toBe(2);
    expect(run.output()).toContain("SPIFFE_ENDPOINT_SOCKET");
    expect(run.output()).toContain("NSM_INSECURE=true");
  });

  it("waits for its SVID (/readyz says why), then serves mTLS only", async () => {
    const dir = tempDir();
    const agent = await workloadApi.addWorkload({
      listen: `unix://${join(dir, "agent.sock")}`,
      spiffeId: "spiffe://run.test/ns/vl3/pod/nse-sec",
      provisioned: false,
    });
    const run = cli(["run"], { ...baseEnv(dir), SPIFFE_ENDPOINT_SOCKET: agent });
    const waiting = await eventually(async () => {
      const r = await readyz(run.output);
      expect(r.body.message).toContain("PERMISSION_DENIED");
      return r;
    }, 20_000);
    expect(waiting.status).toBe(503);
    expect(waiting.body).toMatchObject({ ready: false, identity: false, security: { mode: "spiffe" } });

    await workloadApi.provision(agent);
    const socket = join(dir, "nse.sock");
    await waitFor(() => run.output().includes("vl3-nse is serving"), "serving", 20_000);
    const ready = await readyz(run.output);
    expect(ready.body).toMatchObject({
      identity: true,
      security: { mode: "spiffe", spiffeId: "spiffe://run.test/ns/vl3/pod/nse-sec" },
    });

    // Plain text: refused at the handshake.
    const plain = openClients(`unix://${socket}`, new Transport());
    await expect(requestOn(plain.ns, nscRequest({ name: "nsc-plain" }), 5000)).rejects.toMatchObject({
      code: grpc.status.UNAVAILABLE,
    });
    plain.close();
    // Another trust domain: refused at the handshake too.
    const other = await createCertificateAuthority({ trustDomain: "other.test" });
    const foreign = openClients(
      `unix://${socket}`,
      (await testSecurity("nsc-x", "default", other)).transport,
    );
    await expect(requestOn(foreign.ns, nscRequest({ name: "nsc-x" }), 5000)).rejects.toMatchObject({
      code: grpc.status.UNAVAILABLE,
    });
    foreign.close();
    // Its own trust domain, with its path token: served.
    const ownSec = await testSecurity("nsc-ok", "default", workloadApi.ca);
    const own = openClients(`unix://${socket}`, ownSec.transport);
    const token = () => tokenMetadata(ownSec, "spiffe://run.test/ns/vl3/pod/nse-sec");
    const conn = await requestOn(own.ns, nscRequest({ name: "nsc-ok" }), 5000, await token());
    expect(conn.context!.ipContext!.srcIpAddrs).toEqual(["198.18.6.2/32"]);
    await closeOn(own.ns, conn, 5000, await token());
    own.close();
    run.child.kill("SIGTERM");
    expect(await run.exit).toBe(0);
  });

  it("NSM_INSECURE=true serves plain text, with a warning in the log and in /readyz", async () => {
    const dir = tempDir();
    const run = cli(["run"], { ...baseEnv(dir), NSM_INSECURE: "true" });
    await waitFor(() => run.output().includes("vl3-nse is serving"), "serving", 20_000);
    expect(run.output()).toContain("NSM_INSECURE=true: plain text gRPC");
    const ready = await readyz(run.output);
    expect(ready.body).toMatchObject({
      security: { mode: "insecure", warning: expect.stringContaining("plain text") },
    });
    const plain = openClients(`unix://${join(dir, "nse.sock")}`, new Transport());
    const conn = await requestOn(plain.ns, nscRequest({ name: "nsc-plain" }), 5000);
    expect(conn.context!.ipContext!.srcIpAddrs).toEqual(["198.18.6.2/32"]);
    await closeOn(plain.ns, conn);
    plain.close();
    run.child.kill("SIGTERM");
    expect(await run.exit).toBe(0);
  });
});
