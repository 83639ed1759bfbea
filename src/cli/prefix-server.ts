// `vl3-nse prefix-server`: our ipam.IPAM/ManagePrefixes server, NSM's vl3-ipam wire API with
// allocations that survive its own restart (NSM_PREFIX_STATE_FILE). Served over SPIFFE mTLS from
// SPIFFE_ENDPOINT_SOCKET, or plain text with NSM_INSECURE=true, as vl3-nse run is.
import type { Config } from "../config/config.js";
import { createLogger, type Logger } from "../log.js";
import { startPrefixServer } from "../prefix/server.js";
import { transportSecurity } from "../security/setup.js";

export async function runPrefixServer(
  config: Config,
  untilSignal: (log: Logger) => Promise<void>,
): Promise<void> {
  const log = createLogger({ name: "vl3-prefix-server", level: config.logLevel });
  const security = transportSecurity(config, log);
  const identity = await security.identity?.ready();
  if (identity) log.info({ spiffeId: identity.spiffeId }, "SVID received");
  const server = await startPrefixServer({
    transport: security.transport,
    listenOn: config.listenOn[0]!,
    pool: config.prefixPool,
    prefixLen: config.prefixLen,
    stateFile: config.prefixStateFile,
    log,
  });
  log.info(
    {
      url: server.url,
      pool: config.prefixPool,
      prefixLen: config.prefixLen,
      stateFile: config.prefixStateFile,
    },
    "prefix server listening",
  );
  await untilSignal(log);
  await server.stop();
  security.close();
}
