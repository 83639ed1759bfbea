// Stopping runs every step (debt): a step of stop() or kill() that throws must not keep the later
// ones from releasing what they hold. Here the data plane's close throws inside the endpoint's stop;
// the gRPC server, the debug and health listeners and the observers must be let go all the same, and
// the error still reaches the caller.
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/config.js";
import { MemoryDataplane } from "../../../src/dataplane/memory.js";
import { silentLogger } from "../../../src/log.js";
import { startNse } from "../../../src/nse.js";
import { accepts, cleanupCli, freePort, tempDir } from "../../support/cli.js";

afterEach(() => cleanupCli());

async function startWithBrokenDataplane() {
  const socket = join(tempDir(), "nse.sock");
  const debugPort = await freePort();
  const healthPort = await freePort();
  const config = loadConfig({
    NSM_NAME: "nse-stop",
    NSM_SERVICE_NAMES: "vl3-test",
    NSM_PREFIX_POOL: "198.18.0.0/15",
    NSM_PREFIX: "198.18.6.0/24",
    NSM_INSECURE: "true",
    NSM_LISTEN_ON: `unix://${socket}`,
    NSM_DEBUG_LISTEN_ON: `tcp://127.0.0.1:${debugPort}`,
    NSM_HEALTH_LISTEN_ON: `tcp://127.0.0.1:${healthPort}`,
  });
  const dataplane = new MemoryDataplane();
  const close = dataplane.close.bind(dataplane);
  dataplane.close = async () => {
    await close();
    throw new Error("data plane close failed");
  };
  let detached = 0;
  const nse = await startNse(config, {
    log: silentLogger(),
    dataplane,
    observers: [() => () => void detached++, () => () => void detached++],
  });
  expect(await accepts(socket)).toBe(true);
  expect(await accepts(debugPort)).toBe(true);
  expect(await accepts(healthPort)).toBe(true);
  return { nse, socket, debugPort, healthPort, detached: () => detached };
}

describe("stop and kill with a step that throws", () => {
  it("stop() still closes the gRPC server, the debug and health listeners and the observers, then rejects with the error", async () => {
    const s = await startWithBrokenDataplane();
    await expect(s.nse.stop()).rejects.toThrow("data plane close failed");
    expect(await accepts(s.socket)).toBe(false);
    expect(await accepts(s.debugPort)).toBe(false);
    expect(await accepts(s.healthPort)).toBe(false);
    expect(s.detached()).toBe(2);
  });

  it("kill() still closes the debug and health listeners after the endpoint's abort throws, then rejects", async () => {
    const s = await startWithBrokenDataplane();
    await expect(s.nse.kill()).rejects.toThrow("data plane close failed");
    expect(await accepts(s.socket)).toBe(false);
    expect(await accepts(s.debugPort)).toBe(false);
    expect(await accepts(s.healthPort)).toBe(false);
  });
});
