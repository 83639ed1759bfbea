// The Workload API client against the development server over real unix sockets: the first SVID,
// rotation pushed on the open stream, PERMISSION_DENIED retried until provisioned, the header required.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SpiffeWorkloadAPIClient } from "../../../src/grpc/gen/spiffe/workload/workload.js";
import { silentLogger } from "../../../src/log.js";
import type { Identity } from "../../../src/security/identity.js";
import { WorkloadApiSource } from "../../../src/security/svid.js";
import { WorkloadApiServer } from "../../../src/security/workload-api-server.js";
import { eventually } from "../mesh/helpers.js";

const log = silentLogger();
let dir: string;
let server: WorkloadApiServer;
const sources: WorkloadApiSource[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "vl3-wlapi-"));
  // No timer rotation during the test: rotation is driven by hand.
  server = await WorkloadApiServer.start({
    trustDomain: "example.org",
    svidTtlMs: 60_000,
    rotateEveryMs: 3_600_000,
    log,
  });
});

afterAll(async () => {
  for (const s of sources) s.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

const source = (address: string, backoffStepMs = 50) => {
  const s = new WorkloadApiSource({ address, log, backoffStepMs, backoffMaxMs: 200 });
  sources.push(s);
  return s;
};

describe("Workload API client and development server", () => {
  it("streams the SVID and bundle, then pushes a rotation on the same stream", async () => {
    const address = await server.addWorkload({
      listen: `unix://${join(dir, "a.sock")}`,
      spiffeId: "spiffe://example.org/ns/a/pod/nse-1",
    });
    const s = source(address);
    const first = await s.ready();
    expect(first.spiffeId).toBe("spiffe://example.org/ns/a/pod/nse-1");
    expect(first.bundles.get("example.org")![0]!.raw).toEqual(server.ca.bundle[0]!.raw);
    expect(first.leaf.verify(server.ca.bundle[0]!.publicKey)).toBe(true);
    expect(s.status()).toMatchObject({ state: "ready", spiffeId: first.spiffeId });

    const rotated: Identity[] = [];
    s.onRotate((i) => rotated.push(i));
    await server.rotate();
    await eventually(() => expect(rotated).toHaveLength(1), 10_000);
    expect(rotated[0]!.leaf.serialNumber).not.toBe(first.leaf.serialNumber);
    expect(s.current()).toBe(rotated[0]);
  });

  it("retries PERMISSION_DENIED with backoff, saying why, until the workload is provisioned", async () => {
    const address = await server.addWorkload({
      listen: `unix://${join(dir, "b.sock")}`,
      spiffeId: "spiffe://example.org/ns/a/pod/late",
      provisioned: false,
    });
    const s = source(address);
    await eventually(() => expect(s.status().retries).toBeGreaterThanOrEqual(2), 10_000);
    expect(s.status()).toMatchObject({ state: "waiting" });
    expect(s.status().lastError).toContain("PERMISSION_DENIED");
    expect(s.current()).toBeUndefined();
    await server.provision(address);
    expect((await s.ready()).spiffeId).toBe("spiffe://example.org/ns/a/pod/late");
  });

  it("keeps retrying while nothing listens, and gets the SVID once the socket appears", async () => {
    const address = `unix://${join(dir, "c.sock")}`;
    const s = source(address);
    await eventually(() => expect(s.status().lastError).toContain("UNAVAILABLE"), 10_000);
    await server.addWorkload({ listen: address, spiffeId: "spiffe://example.org/c" });
    expect((await s.ready()).spiffeId).toBe("spiffe://example.org/c");
  });

  it("the server refuses a call without the workload.spiffe.io header (INVALID_ARGUMENT)", async () => {
    const address = await server.addWorkload({
      listen: `unix://${join(dir, "d.sock")}`,
      spiffeId: "spiffe://example.org/d",
    });
    const client = new SpiffeWorkloadAPIClient(
      `unix:${address.slice("unix://".length)}`,
      grpc.credentials.createInsecure(),
    );
    const err = await new Promise<grpc.ServiceError>((resolve) =>
      client.fetchX509Svid({}).on("error", resolve),
    );
    client.close();
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toContain("workload.spiffe.io");
  });
});
