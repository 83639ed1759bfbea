// The Workload API endpoint address (SPIFFE_ENDPOINT_SOCKET) as the SPIFFE Workload Endpoint standard
// allows it: unix:///absolute/path or tcp://<IP literal>:<port>, nothing else. Turned into a grpc-js target.
import { isIP } from "node:net";

export const SPIFFE_ENDPOINT_SOCKET = "SPIFFE_ENDPOINT_SOCKET";

export class WorkloadAddressError extends Error {
  override name = "WorkloadAddressError";
  constructor(
    readonly input: string,
    detail: string,
    readonly setting = SPIFFE_ENDPOINT_SOCKET,
  ) {
    super(`${setting}: ${JSON.stringify(input)} ${detail}`);
  }
}

/** Parses the address and returns the grpc-js target ("unix:/path" or "ip:port"). */
export function workloadApiTarget(input: string, setting = SPIFFE_ENDPOINT_SOCKET): string {
  const fail = (detail: string): never => {
    throw new WorkloadAddressError(input, detail, setting);
  };
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return fail("is not a URI (want unix:///path/agent.sock or tcp://<ip>:<port>)");
  }
  if (url.search || url.hash || url.username || url.password)
    fail("must have no query, fragment or user info");
  if (url.protocol === "unix:") {
    if (url.host !== "") fail("must have no authority (unix:///absolute/path)");
    if (!url.pathname.startsWith("/") || url.pathname === "/") fail("needs an absolute socket path");
    return `unix:${decodeURIComponent(url.pathname)}`;
  }
  if (url.protocol === "tcp:") {
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    if (!isIP(host)) fail("must name an IP address, not a host name");
    if (url.port === "") fail("needs a port");
    if (url.pathname !== "" && url.pathname !== "/") fail("must have no path");
    return `${url.hostname}:${url.port}`;
  }
  return fail('must have a "tcp" or "unix" scheme');
}
