// SPIFFE_ENDPOINT_SOCKET: which Workload Endpoint addresses the standard allows (unix and tcp
// with an IP) and the grpc-js target each dials; anything else is a WorkloadAddressError.
import { describe, expect, it } from "vitest";
import { WorkloadAddressError, workloadApiTarget } from "../../../src/security/workload-address.js";

describe("SPIFFE_ENDPOINT_SOCKET as the Workload Endpoint standard allows it", () => {
  it.each([
    ["unix:///run/spire/sockets/agent.sock", "unix:/run/spire/sockets/agent.sock"],
    ["tcp://127.0.0.1:8081", "127.0.0.1:8081"],
    ["tcp://[::1]:8081", "[::1]:8081"],
  ])("%s dials %s", (input, target) => {
    expect(workloadApiTarget(input)).toBe(target);
  });

  it.each([
    ["/run/agent.sock", "is not a URI"],
    ["unix://host/agent.sock", "no authority"],
    ["unix:///", "absolute socket path"],
    ["unix:///a.sock?x=1", "no query"],
    ["tcp://spire-agent:8081", "IP address"],
    ["tcp://127.0.0.1", "needs a port"],
    ["tcp://127.0.0.1:1/x", "no path"],
    ["http://127.0.0.1:1", '"tcp" or "unix" scheme'],
  ])("rejects %s (%s)", (input, why) => {
    expect(() => workloadApiTarget(input)).toThrow(WorkloadAddressError);
    expect(() => workloadApiTarget(input)).toThrow(why);
    expect(() => workloadApiTarget(input)).toThrow("SPIFFE_ENDPOINT_SOCKET");
  });
});
