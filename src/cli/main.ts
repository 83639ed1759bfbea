// The vl3-nse command line: run, demo, status, prefix-server, workload-api, config.
import { existsSync, readFileSync } from "node:fs";
import { type Config, diffConfig, loadConfig, type Overrides } from "../config/config.js";
import { ConfigError } from "../config/errors.js";
import { parseConfigFile } from "../config/file.js";
import { ListenError } from "../grpc/transport.js";
import { createLogger, type Logger } from "../log.js";
import { intFlag, parseArgs, UsageError } from "./args.js";
import { HELP } from "./help.js";

const FLAGS = {
  help: "switch",
  version: "switch",
  config: "value",
  url: "value",
  endpoints: "value",
  clients: "value",
  dataplane: "value",
  stay: "switch",
  domains: "value",
  floating: "switch",
  watch: "switch",
  inspect: "switch",
  listen: "value",
  "trust-domain": "value",
  "spiffe-id": "value",
  "svid-ttl": "value",
  "rotate-every": "value",
} as const;

function fileOverrides(path: string | undefined): Overrides {
  if (!path) return {};
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigError("--config", `cannot read ${path}: ${(e as Error).message}`);
  }
  return parseConfigFile(text, path);
}

function packageJson(): URL {
  for (const up of ["../../package.json", "../../../package.json"]) {
    const url = new URL(up, import.meta.url);
    if (existsSync(url)) return url;
  }
  throw new Error("package.json not found");
}

/** Resolves on the first SIGTERM or SIGINT. */
function untilSignal(log: Logger): Promise<void> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      log.info({ signal }, "shutting down");
      process.off("SIGTERM", on);
      process.off("SIGINT", on);
      resolve();
    };
    process.on("SIGTERM", on);
    process.on("SIGINT", on);
  });
}

async function run(configPath: string | undefined, inspect: boolean): Promise<void> {
  let overrides = fileOverrides(configPath);
  // --inspect is NSM_INSPECT=true.
  const env = inspect ? { ...process.env, NSM_INSPECT: "true" } : process.env;
  let config = loadConfig(env, overrides);
  const log = createLogger({ level: config.logLevel });
  const { startNse } = await import("../nse.js");
  const inspector = config.inspect
    ? await (await import("../debug/inspect.js")).startInspector({ port: config.inspectPort, log })
    : undefined;
  if (inspector) log.info({ url: inspector.url }, "Stately inspector bridge: open it in a browser");
  let watcher: { stop(): void } | undefined;
  if (config.kubeConfigMap) {
    const { watchConfigMap } = await import("../k8s/index.js");
    const watched = await watchConfigMap(config.kubeConfigMap, log, (next) => {
      try {
        const updated = loadConfig(env, { ...overrides, ...next });
        applyLive(config, updated, log);
        overrides = { ...overrides, ...next };
        config = { ...config, logLevel: updated.logLevel };
      } catch (e) {
        log.error({ err: (e as Error).message }, "ignored an invalid configuration change");
      }
    });
    overrides = { ...overrides, ...watched.overrides };
    config = loadConfig(env, overrides);
    watcher = watched;
  }
  // In a pod (POD_NAME set): lifecycle events an operator cares about become Kubernetes Events.
  const events = config.podName
    ? (await import("../k8s/index.js")).podEventRecorder(config, log, process.env.POD_UID)
    : undefined;
  const nse = await startNse(config, {
    log,
    inspect: inspector?.inspect,
    observers: events ? [(endpoint) => events.attach(endpoint)] : [],
  }).catch(async (err: unknown) => {
    // startNse has released what it took; what was started here goes too, so that the process ends.
    log.error({ err: (err as Error)?.message ?? String(err) }, "cannot start");
    watcher?.stop();
    await inspector?.stop();
    throw err;
  });
  log.info(
    { nse: config.name, urls: nse.server.urls, prefix: nse.endpoint.prefix, debug: nse.debugUrl },
    "vl3-nse is serving",
  );
  await untilSignal(log);
  watcher?.stop();
  await nse.stop();
  await inspector?.stop();
  log.info("stopped");
}

/** Applies what can change on a running endpoint and says which changes need a restart. */
function applyLive(before: Config, after: Config, log: Logger): void {
  const { live, restart } = diffConfig(before, after);
  if (live.includes("NSM_LOG_LEVEL")) {
    log.level(after.logLevel);
    log.info({ logLevel: after.logLevel }, "log level changed");
  }
  if (restart.length > 0)
    log.warn({ settings: restart }, "configuration changed; these settings apply after a restart");
}

async function main(argv: string[]): Promise<number> {
  const { command, flags } = parseArgs(argv, FLAGS);
  if (flags.has("help") || command === "help" || (!command && !flags.has("version"))) {
    process.stdout.write(HELP);
    return command || flags.has("help") ? 0 : 2;
  }
  if (flags.has("version")) {
    // src/cli/main.ts and dist/src/cli/main.js: package.json is the first one found going up.
    const pkg = JSON.parse(readFileSync(packageJson(), "utf8")) as {
      version: string;
    };
    process.stdout.write(`vl3-nse ${pkg.version}\n`);
    return 0;
  }
  const configPath = flags.get("config") as string | undefined;
  switch (command) {
    case "run":
      await run(configPath, flags.has("inspect"));
      return 0;
    case "config":
      process.stdout.write(
        `${JSON.stringify(loadConfig(process.env, fileOverrides(configPath)), null, 2)}\n`,
      );
      return 0;
    case "status": {
      const { fetchTree, formatStatus } = await import("../debug/status.js");
      const url = (flags.get("url") as string | undefined) ?? "http://127.0.0.1:9090";
      if (flags.has("watch")) {
        const { watchStatus } = await import("../debug/status-watch.js");
        const stop = new AbortController();
        process.once("SIGINT", () => stop.abort());
        process.once("SIGTERM", () => stop.abort());
        const write = (text: string) => process.stdout.write(text);
        await watchStatus(url, { write, tty: process.stdout.isTTY === true, signal: stop.signal });
        return 0;
      }
      process.stdout.write(formatStatus(await fetchTree(url)));
      return 0;
    }
    case "prefix-server": {
      const { runPrefixServer } = await import("./prefix-server.js");
      await runPrefixServer(loadConfig(process.env, fileOverrides(configPath)), untilSignal);
      return 0;
    }
    case "workload-api": {
      const { runWorkloadApi } = await import("./workload-api.js");
      const value = (name: string) => flags.get(name) as string | undefined;
      await runWorkloadApi(
        {
          listen: value("listen"),
          trustDomain: value("trust-domain"),
          spiffeId: value("spiffe-id"),
          svidTtl: value("svid-ttl"),
          rotateEvery: value("rotate-every"),
        },
        untilSignal,
      );
      return 0;
    }
    case "demo": {
      const { runDemo } = await import("./demo.js");
      const dataplane = (flags.get("dataplane") as string | undefined) ?? "memory";
      if (dataplane !== "memory" && dataplane !== "kernel")
        throw new UsageError("--dataplane must be memory or kernel");
      return runDemo({
        endpoints: intFlag(flags, "endpoints", 3, 1, 200),
        clients: intFlag(flags, "clients", 6, 0, 5000),
        dataplane,
        stay: flags.has("stay"),
        domains: intFlag(flags, "domains", 1, 1, 16),
        floating: flags.has("floating"),
      });
    }
    default:
      throw new UsageError(`unknown command "${command}" (see --help)`);
  }
}

/** Fails with `code`. What the command started has been released; should anything still hold the
 * event loop (a leak), the process ends anyway after 2 s, saying so, instead of hanging (issue 10). */
function fail(code: number, message: string): void {
  process.stderr.write(`vl3-nse: ${message}\n`);
  process.exitCode = code;
  setTimeout(() => {
    process.stderr.write("vl3-nse: something still ran 2 s after the failure; exiting anyway\n");
    process.exit(code);
  }, 2000).unref();
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError || error instanceof UsageError) fail(2, error.message);
    // The reason is the whole story (an address in use, not this host's, no permission).
    else if (error instanceof ListenError) fail(1, error.message);
    else fail(1, (error as Error)?.stack ?? String(error));
  },
);
