// `vl3-nse --help`: kept next to the commands it describes.
import { SETTINGS } from "../config/config.js";

export const HELP = `vl3-nse — a virtual Layer 3 Network Service Endpoint for Network Service Mesh v1

Usage:
  vl3-nse run [--config FILE] [--inspect]
                                     serve the NSM v1 NetworkService API (configuration from NSM_* env
                                     and the seed's ConfigMap schema in FILE); SIGTERM/SIGINT drain it;
                                     --inspect serves the Stately inspector bridge (NSM_INSPECT_PORT)
  vl3-nse demo [--endpoints N] [--clients N] [--dataplane memory|kernel] [--stay]
               [--domains N] [--floating]
                                     an in-process NSM (registry, nsmgrs, prefix server) with N vl3-nse
                                     endpoints and clients; prints the converged mesh and exits;
                                     --domains N spreads them over N NSM domains (registry and nsmgr
                                     proxies, fake DNS), --floating registers the vL3 in a floating domain
  vl3-nse status [--url URL] [--watch]
                                     the actor tree of a running vl3-nse (its debug server, default
                                     http://127.0.0.1:9090) as a table; --watch redraws it as states
                                     change, until Ctrl-C
  vl3-nse prefix-server              serve ipam.IPAM/ManagePrefixes for a pool (NSM_LISTEN_ON,
                                     NSM_PREFIX_POOL, NSM_PREFIX_LEN, NSM_PREFIX_STATE_FILE)
  vl3-nse workload-api --listen unix:///PATH/agent.sock --trust-domain DOMAIN [--spiffe-id ID]
                       [--svid-ttl 1h] [--rotate-every 30m]
                                     a development SPIFFE Workload API: a local CA issuing short-lived
                                     SVIDs for ID (default spiffe://DOMAIN/ns/default/pod/HOST) to
                                     whoever reaches the socket; comma lists pair sockets with IDs;
                                     for tests and demos, never production
  vl3-nse config [--config FILE]     print the effective configuration and exit (nothing is started)
  vl3-nse --help | --version

Exit codes: 0 done (also after a graceful shutdown), 1 failed to start (a listen address in use or
not this host's, no permission; the reason is printed) or failed at run time, 2 bad usage or configuration.

Settings (environment; see docs/configuration.md):
${SETTINGS.map((s) => `  ${s.env.padEnd(26)} ${s.doc} [default: ${s.default === "" ? "unset" : s.default}]`).join("\n")}
`;
