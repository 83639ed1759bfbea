// Nothing leaks on the descriptor path: a sandbox run (endpoints registering through their nsmgrs with
// their sockets' descriptors, NSCs, an endpoint killed without goodbyes and back under the same socket
// path, one stopped for good) leaves this process with as many open descriptors as before it. A first
// run warms up what is opened once per process (the addon, libuv's threads, the log streams).
import { describe, expect, it } from "vitest";
import { startSandbox } from "../../../src/sandbox/index.js";
import { fdAvailable, fdSkipReason, openFdCount } from "../../support/fd/native.js";
import { eventually, expectFullMesh, Mesh, QUICK } from "../mesh/helpers.js";

async function run(): Promise<void> {
  const m = await Mesh.start({ ...QUICK });
  try {
    await Promise.all(["nse-a", "nse-b", "nse-c"].map((n, i) => m.startEndpoint(n, i % 2)));
    await m.sb.startClient("nsc-1", { node: 0 });
    await m.sb.startClient("nsc-2", { node: 1 });
    await eventually(() => expectFullMesh(m), 20_000);
    // Killed: its nsmgr lets the descriptors it passed go once its registration expires; it comes back
    // on the same socket path.
    await m.sb.stopEndpoint("nse-b", { graceful: false });
    await m.startEndpoint("nse-b", 1);
    await eventually(() => expectFullMesh(m), 20_000);
    await m.sb.stopEndpoint("nse-c");
    await eventually(() => expectFullMesh(m), 20_000);
  } finally {
    await m.stop();
  }
}

describe.skipIf(!fdAvailable)(`a sandbox run on the descriptor path${fdSkipReason}`, () => {
  it("leaves as many descriptors open as before it", async () => {
    // The sandbox's default is the descriptor path; its nsmgrs listen on unix sockets.
    const probe = await startSandbox({ security: false });
    const onUnix = probe.nsmgrs.every((n) => n.url.startsWith("unix://"));
    await probe.stop();
    expect(onUnix).toBe(true);
    await run();
    const before = openFdCount();
    await run();
    // Closing is asynchronous in places (sockets, child ip processes): bounded wait for it to settle.
    await eventually(() => expect(openFdCount()).toBeLessThanOrEqual(before), 10_000);
  }, 180_000);
});
