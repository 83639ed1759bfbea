// The ConfigError a set of NSM_* settings is refused with, for tests of the mistakes `run` exits 2 on:
// one place, so each settings test asserts on the setting named, not on how the error is caught.
import { loadConfig } from "../../src/config/config.js";
import { ConfigError } from "../../src/config/errors.js";

export function configErrorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}
