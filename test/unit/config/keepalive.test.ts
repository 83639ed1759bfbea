// Keepalive settings: the defaults are the transport's (safe with NSM's Go servers), each setting is
// taken into keepaliveOf (which security/setup.ts gives the `vl3-nse run` transport: not exercised
// here), and a sub-second one is refused by name.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/config.js";
import { ConfigError } from "../../../src/config/errors.js";
import { DEFAULT_KEEPALIVE, keepaliveOf } from "../../../src/grpc/keepalive.js";

describe("keepalive configuration", () => {
  it("defaults to DEFAULT_KEEPALIVE", () => {
    expect(keepaliveOf(loadConfig({}))).toEqual(DEFAULT_KEEPALIVE);
  });

  it("takes each setting", () => {
    const c = loadConfig({
      NSM_KEEPALIVE_TIME: "20s",
      NSM_KEEPALIVE_SERVER_TIME: "5s",
      NSM_KEEPALIVE_TIMEOUT: "2s",
    });
    expect(keepaliveOf(c)).toEqual({
      clientTimeMs: 20_000,
      clientTimeoutMs: 2000,
      serverTimeMs: 5000,
      serverTimeoutMs: 2000,
    });
  });

  it.each([
    "NSM_KEEPALIVE_TIME",
    "NSM_KEEPALIVE_SERVER_TIME",
    "NSM_KEEPALIVE_TIMEOUT",
  ])("refuses %s under a second, naming it", (env) => {
    expect(() => loadConfig({ [env]: "500ms" })).toThrow(ConfigError);
    expect(() => loadConfig({ [env]: "500ms" })).toThrow(env);
  });
});
