// NSM_MIXED_FLEET needs path tokens: NSM's vL3 endpoints carry no mark of ours, so only a proven path
// origin tells one from a client shaped like it. With NSM_INSECURE=true there is nothing to prove, so
// the configuration is refused naming both settings (exit code 2 at the CLI).
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/config.js";
import { ConfigError } from "../../../src/config/errors.js";

describe("NSM_MIXED_FLEET and NSM_INSECURE", () => {
  it("refuses the two together, naming both", () => {
    const load = () => loadConfig({ NSM_MIXED_FLEET: "true", NSM_INSECURE: "true" });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/NSM_MIXED_FLEET: .*NSM_INSECURE=true/);
  });

  it("takes either alone", () => {
    expect(loadConfig({ NSM_MIXED_FLEET: "true" }).mixedFleet).toBe(true);
    expect(loadConfig({ NSM_INSECURE: "true" }).insecure).toBe(true);
  });
});
