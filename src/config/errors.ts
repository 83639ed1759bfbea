/** Invalid configuration: names the key; the CLI prints it and exits with code 2. */
export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    readonly key: string,
    detail: string,
  ) {
    super(`invalid configuration: ${key}: ${detail}`);
  }
}
