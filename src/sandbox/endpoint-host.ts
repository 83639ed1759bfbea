// An endpoint host: a child process of the sandbox that runs vl3-nse endpoints (and the benchmark's
// bare servers) the way a cluster runs each in a pod of its own, reaching the registry, the nsmgrs and
// the prefix server over their real gRPC addresses. Driven over IPC (host-protocol.ts) by
// endpoint-hosts.ts; exits when its parent disconnects, so it never outlives the sandbox.
import type * as grpc from "@grpc/grpc-js";
import { loadConfig } from "../config/config.js";
import { silentLogger } from "../log.js";
import { startNse, type Vl3Nse } from "../nse.js";
import { type RegistrationHandle, registerEndpoint } from "../registry/register.js";
import { dialAll, startBareEndpoint } from "./bare-endpoint.js";
import type { HostedEndpoint, HostMessage, HostRequest } from "./host-protocol.js";

const log = silentLogger();
const endpoints = new Map<string, Vl3Nse>();
const bare: Array<{ server: grpc.Server; registration: RegistrationHandle }> = [];
const DIAL_TIMEOUT_MS = 120_000;

function send(message: HostMessage): void {
  process.send?.(message);
}

/** Pushes "meshed" the first time the endpoint has `peers` peer links up (from its signals, no polling). */
function reportMeshed(nse: Vl3Nse, name: string, peers: number): void {
  const up = new Set<string>();
  const off = nse.endpoint.onSignal((s) => {
    if (s.type !== "peer") return;
    if (s.up) up.add(s.name);
    else up.delete(s.name);
    if (up.size === peers) {
      off();
      send({ event: "meshed", name });
    }
  });
}

function summary(name: string, nse: Vl3Nse): HostedEndpoint {
  const children = nse.endpoint.tree().children;
  const peers = children.filter((c) => c.kind === "peer");
  const connections = children.filter((c) => c.kind === "connection");
  return {
    name,
    prefix: nse.endpoint.prefix,
    peers: peers.length,
    peersUp: peers.filter((p) => p.state.startsWith("up")).length,
    servedLinks: connections.filter((c) => c.subject.kind === "peer").length,
    clients: connections.filter((c) => c.subject.kind !== "peer").length,
  };
}

async function handle(r: HostRequest): Promise<unknown> {
  switch (r.op) {
    case "start": {
      if (endpoints.has(r.name)) throw new Error(`${r.name} already runs here`);
      const nse = await startNse(loadConfig(r.env), { log });
      endpoints.set(r.name, nse);
      if (r.peers !== undefined) reportMeshed(nse, r.name, r.peers);
      return undefined;
    }
    case "stop": {
      const nse = endpoints.get(r.name);
      endpoints.delete(r.name);
      await (r.graceful ? nse?.stop() : nse?.kill());
      return undefined;
    }
    case "summary":
      return [...endpoints].map(([name, nse]) => summary(name, nse));
    case "bare": {
      const server = await startBareEndpoint(r.name, `unix://${r.socket}`);
      const nse = { name: r.name, serviceNames: [r.service], labels: {}, url: `unix://${r.socket}` };
      const registration = registerEndpoint({ target: r.registry, nse, expiryMs: 60_000, log });
      bare.push({ server, registration });
      await registration.whenRegistered();
      return undefined;
    }
    case "dial":
      return dialAll({ ...r, timeoutMs: DIAL_TIMEOUT_MS });
    case "stopAll": {
      const all = [...endpoints.values()];
      endpoints.clear();
      await Promise.all(all.map((nse) => nse.stop()));
      await Promise.all(bare.map((b) => b.registration.stop({ unregister: false })));
      for (const b of bare.splice(0)) b.server.forceShutdown();
      return undefined;
    }
  }
}

process.on("message", (r: HostRequest) => {
  handle(r).then(
    (value) => send({ id: r.id, ok: true, value }),
    (err: unknown) => send({ id: r.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});
// The sandbox is gone (closed us, or died): nothing here may outlive it.
process.on("disconnect", () => process.exit(0));
