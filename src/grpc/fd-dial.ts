// grpc-js dials every connection itself (net.connect) and only then hands the socket to the channel
// credentials' connector, so an fd-capable channel would open two connections per dial: grpc-js's,
// closed unused, and ours. This lets a channel option name the dial instead: grpc-js's connector then
// calls it and opens nothing of its own. The one place that reaches into grpc-js's connector (pinned
// grpc-js; test/integration/fd/grpc.test.ts counts one connection per dial).
import type { Duplex } from "node:stream";
import { Http2SubchannelConnector } from "@grpc/grpc-js/build/src/transport.js";

/** The channel option holding a Dial; grpc-js passes unknown options through to its connector. */
export const FD_DIAL_OPTION = "vl3-nse.fd_dial";

/** Opens the connection to a subchannel address ({ path } for unix targets). */
export type Dial = (address: { path?: string }) => Promise<Duplex & { setNoDelay(): unknown }>;

type Connector = { tcpConnect(address: unknown, options: Record<string, unknown>): Promise<unknown> };

let installed: boolean | undefined;

/** Teaches grpc-js's connector the option (once); false where its connector no longer has that shape
 * (then grpc-js dials as before and the credentials swap the socket). */
export function installFdDial(): boolean {
  if (installed !== undefined) return installed;
  const proto = Http2SubchannelConnector.prototype as unknown as Connector;
  const own = proto.tcpConnect;
  installed = typeof own === "function";
  if (!installed) return false;
  proto.tcpConnect = function (this: Connector, address, options) {
    const dial = options?.[FD_DIAL_OPTION];
    return typeof dial === "function"
      ? (dial as Dial)(address as { path?: string })
      : own.call(this, address, options);
  };
  return true;
}
