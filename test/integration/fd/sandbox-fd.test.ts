// The sandbox does it NSM's way by default where descriptors pass: endpoints register through their nsmgr with their
// socket's descriptor (the registry holds unix:///proc/<nsmgr pid>/fd/<n>, the endpoint sees its inode
// URL back), and the kernel forwarder puts every endpoint end into a namespace it opened from a descriptor
// (/proc/<pid>/fd/<n>) that is the endpoint's own, while real packets cross the vL3.
import { statSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { converged } from "../../../src/cli/demo.js";
import { isInodeUrl } from "../../../src/fd/inode-url.js";
import { type Sandbox, startSandbox } from "../../../src/sandbox/index.js";
import { SandboxKernel } from "../../../src/sandbox/kernel.js";
import { pingMatrix, waitFor } from "../../e2e/helpers.js";
import { fdAvailable, fdSkipReason } from "../../support/fd/native.js";
import { canUseNetns, hasPing } from "../../support/netns.js";

const ENDPOINTS = ["vl3-nse-fa", "vl3-nse-fb"];
const skip = !fdAvailable || !canUseNetns() || !hasPing();
const why = fdSkipReason || (skip ? " (skipped: needs root, ip netns and ping)" : "");

describe.skipIf(skip)(`the sandbox passes descriptors as NSM does${why}`, () => {
  const kernel = new SandboxKernel(`vfd${process.pid % 100000}`);
  let sb: Sandbox | undefined;

  beforeAll(async () => {
    sb = await startSandbox({
      nodes: 2,
      pool: "198.18.0.0/16",
      prefixLen: 24,
      kernel,
      registryExpiryMs: 3000,
    });
    await Promise.all(ENDPOINTS.map((name, i) => sb!.startEndpoint(name, { node: i })));
    for (let i = 1; i <= 3; i++) await sb.startClient(`nsc-f${i}`, { node: i });
    expect(await waitFor(() => converged(sb!), 30_000)).toBe(true);
  }, 60_000);

  afterAll(async () => {
    await sb?.stop();
    await kernel.cleanup();
  }, 60_000);

  it("registers each endpoint by the descriptor of its socket, held by its nsmgr", () => {
    const urls = sb!.registry.entries().map((e) => e.url);
    expect(urls).toHaveLength(ENDPOINTS.length);
    for (const url of urls) expect(url).toMatch(new RegExp(`^unix:///proc/${process.pid}/fd/\\d+$`));
    for (const name of ENDPOINTS) {
      expect(isInodeUrl(sb!.endpoints.get(name)!.mesh!.registration.current!.url)).toBe(true);
    }
  });

  it("puts every endpoint end into the endpoint's namespace, opened from a descriptor, never by name", async () => {
    const fw = kernel.forwarder.kernel;
    const ids = fw.connectionIds();
    expect(ids.length).toBeGreaterThan(0);
    const own = new Set<bigint>();
    for (const name of ENDPOINTS)
      own.add(statSync(`/run/netns/${await kernel.netnsFor(name)}`, { bigint: true }).ino);
    for (const id of ids) {
      const link = fw.linkOf(id)!;
      expect(link.nseNetns).toMatch(/^\/proc\/\d+\/fd\/\d+$/);
      expect(own.has(statSync(link.nseNetns, { bigint: true }).ino)).toBe(true);
    }
  });

  it("moves real packets between every pair of clients", async () => {
    expect(await pingMatrix(sb!, kernel)).toEqual([]);
  });
});
