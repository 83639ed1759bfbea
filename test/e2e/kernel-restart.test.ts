// Data-plane resync at start-up with real namespaces: an endpoint on the kernel data plane dies
// without a goodbye (its namespace and veths stay, as when a container restarts in its pod) and is
// started again with the same name. Its first act is a resync, so nothing its previous life
// programmed survives unless the new life wants it; e.g. the peer link it dialled comes back under a
// new connection id, and the old link's address and route must be gone.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { converged } from "../../src/cli/demo.js";
import { type Item, itemKey } from "../../src/dataplane/types.js";
import { addressItems, readState, routeItems } from "../../src/kernel/read.js";
import type { Sandbox } from "../../src/sandbox/index.js";
import { SandboxKernel } from "../../src/sandbox/kernel.js";
import { canUseNetns, hasPing } from "../support/netns.js";
import { leftovers, pingMatrix, pollUntil, startKernelSandbox, waitFor } from "./helpers.js";

const TAG = `e2er${process.pid % 100000}`;
const POOL = "198.19.0.0/16";
// "vl3-a" < "vl3-b": a dials the peer link, so a's restart dials a new one.
const A = "vl3-a";
const B = "vl3-b";

const owned = (name: string) => /^(nsc|vl3)-/.test(name);

/** The addresses and routes on the endpoint's links in its namespace, as item keys. */
async function programmed(netns: string): Promise<string[]> {
  const state = await readState({ netns });
  return [...addressItems(state, owned), ...routeItems(state, owned)].map(itemKey).sort();
}

const wanted = (items: Item[]) =>
  items
    .filter((i) => i.type !== "interface")
    .map(itemKey)
    .sort();

describe.skipIf(!canUseNetns())("kernel data plane resync at restart (needs root and ip netns)", () => {
  const kernel = new SandboxKernel(TAG);
  let sb: Sandbox | undefined;
  let stopped = false;

  beforeAll(async () => {
    sb = await startKernelSandbox(kernel, POOL, 1);
    await sb.startEndpoint(A);
    // Both clients on a: it is the only endpoint when they connect.
    await sb.startClient("nsc-1");
    await sb.startClient("nsc-2");
    await sb.startEndpoint(B);
    expect(await waitFor(() => converged(sb!), 30_000)).toBe(true);
  }, 60_000);

  afterAll(async () => {
    if (!stopped) await sb?.stop();
    await kernel.cleanup();
  }, 60_000);

  it("a restarted endpoint keeps nothing of its previous life that it does not want again", async () => {
    const netns = await kernel.netnsFor(A);
    const nse = sb!.endpoints.get(A)!;
    const before = await programmed(netns);
    expect(before).toEqual(wanted(nse.endpoint.queue.desired()));
    expect(before.some((k) => k.startsWith("route/") && k.includes("/vl3-"))).toBe(true);

    // Dies like a crashed process: no Close, no unregister, namespace and veths left as they are.
    await nse.kill();
    sb!.endpoints.delete(A);
    expect(await programmed(netns)).toEqual(before);
    const restarted = await sb!.startEndpoint(A);
    // start() resolves after the start-up resync: what the old life alone had is gone by now.
    const now = wanted(restarted.endpoint.queue.desired());
    const afterStart = await programmed(netns);
    expect(afterStart.filter((k) => !now.includes(k))).toEqual([]);

    expect(await waitFor(() => converged(sb!), 30_000)).toBe(true);
    // Desired and programmed are read together: the clients (who kept their addresses while healing,
    // so the mesh already counts as converged) may re-request just after the first read.
    const settled = await pollUntil(
      async () => ({ programmed: await programmed(netns), want: wanted(restarted.endpoint.queue.desired()) }),
      (s) => JSON.stringify(s.programmed) === JSON.stringify(s.want),
      10_000,
    );
    expect(settled.programmed).toEqual(settled.want);
    const want = settled.want;
    // The old peer link's items were stale indeed: the new life dialled b under a new name.
    const stale = before.filter((k) => !want.includes(k));
    expect(stale.some((k) => k.includes("/vl3-"))).toBe(true);
  }, 90_000);

  it.skipIf(!hasPing())(
    "and the clients reach each other again (skipped without ping)",
    async () => {
      expect(
        await pollUntil(
          () => pingMatrix(sb!, kernel),
          (f) => f.length === 0,
          30_000,
          500,
        ),
      ).toEqual([]);
    },
    60_000,
  );

  it("leaves no namespace, link or route behind after the sandbox stops", async () => {
    stopped = true;
    await sb!.stop();
    expect(
      await pollUntil(
        () => leftovers(TAG, POOL),
        (l) => l.length === 0,
        10_000,
      ),
    ).toEqual([]);
  }, 60_000);
});
