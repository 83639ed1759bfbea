// An endpoint host: a child process of the sandbox that runs vl3-nse endpoints (and the benchmark's
// bare endpoints) the way a cluster runs each in a pod of its own, reaching the registry, the nsmgrs and
// the prefix server over their real gRPC addresses. Driven over IPC (host-protocol.ts) by
// endpoint-hosts.ts; exits when its parent disconnects, so it never outlives the sandbox.
import type * as grpc from "@grpc/grpc-js";
import { loadConfig } from "../config/config.js";
import { MemoryDataplane } from "../dataplane/memory.js";
import { silentLogger } from "../log.js";
import { startNse, type Vl3Nse } from "../nse.js";
import { type RegistrationHandle, registerEndpoint } from "../registry/register.js";
import { transportSecurity } from "../security/setup.js";
import { dialAll, startBareEndpoint } from "./bare-endpoint.js";
import { type BareVl3, bareAddressing, startBareVl3 } from "./bare-vl3.js";
import type { HostedEndpoint, HostMessage, HostRequest } from "./host-protocol.js";

const log = silentLogger();
const endpoints = new Map<string, Vl3Nse>();
/** The in-memory data planes we gave endpoints (to read their routes) and their IPAM usage. */
const dataplanes = new Map<string, MemoryDataplane>();
const used = new Map<string, number>();
const bare: Array<{ server: grpc.Server; registration: RegistrationHandle }> = [];
const bareVl3: BareVl3[] = [];
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

async function summary(name: string, nse: Vl3Nse): Promise<HostedEndpoint> {
  const children = nse.endpoint.tree().children;
  const peers = children.filter((c) => c.kind === "peer");
  const connections = children.filter((c) => c.kind === "connection");
  const clients = connections.filter((c) => c.subject.kind !== "peer");
  const items = (await dataplanes.get(name)?.dump()) ?? [];
  return {
    name,
    prefix: nse.endpoint.prefix,
    peers: peers.length,
    peersUp: peers.filter((p) => p.state.startsWith("up")).length,
    peerStates: Object.fromEntries(peers.map((p) => [p.subject.peer ?? p.id, p.state])),
    servedLinks: connections.filter((c) => c.subject.kind === "peer").length,
    clients: clients.length,
    clientAddresses: clients.flatMap((c) => c.addresses),
    addressesUsed: used.get(name) ?? 0,
    routes: items.flatMap((i) => (i.type === "route" ? [i.dst] : [])),
  };
}

async function handle(r: HostRequest): Promise<unknown> {
  switch (r.op) {
    case "start": {
      if (endpoints.has(r.name)) throw new Error(`${r.name} already runs here`);
      // Its transport and identity from the environment (SPIFFE_ENDPOINT_SOCKET, or NSM_INSECURE), as
      // `vl3-nse run` builds them: with an SVID it signs and checks path tokens on every call, as run does.
      const config = loadConfig(r.env);
      const security = transportSecurity(config, log);
      await security.identity?.ready();
      const dataplane = config.dataplane === "memory" ? new MemoryDataplane() : undefined;
      const identity = r.pathTokens === false ? undefined : security.identity;
      const nse = await startNse(config, { log, dataplane, transport: security.transport, identity });
      endpoints.set(r.name, nse);
      if (dataplane) dataplanes.set(r.name, dataplane);
      nse.endpoint.onSignal((s) => {
        if (s.type === "ipam" && endpoints.get(r.name) === nse) used.set(r.name, s.used);
      });
      if (r.peers !== undefined) reportMeshed(nse, r.name, r.peers);
      return undefined;
    }
    case "stop": {
      const nse = endpoints.get(r.name);
      endpoints.delete(r.name);
      dataplanes.delete(r.name);
      used.delete(r.name);
      await (r.graceful ? nse?.stop() : nse?.kill());
      return undefined;
    }
    case "summary":
      return Promise.all([...endpoints].map(([name, nse]) => summary(name, nse)));
    case "bare": {
      const server = await startBareEndpoint(r.name, `unix://${r.socket}`);
      const nse = { name: r.name, serviceNames: [r.service], labels: {}, url: `unix://${r.socket}` };
      const registration = registerEndpoint({ target: r.registry, nse, expiryMs: 60_000, log });
      bare.push({ server, registration });
      await registration.whenRegistered();
      return undefined;
    }
    case "vl3": {
      const { name, nsmgr, service, peers, timeoutMs } = r;
      const onMeshed = () => send({ event: "meshed", name });
      const o = { name, nsmgr, service, peers, timeoutMs, onMeshed, addressing: bareAddressing(r.index) };
      bareVl3.push(await startBareVl3({ ...o, listenOn: `unix://${r.socket}` }));
      return undefined;
    }
    case "dial":
      return dialAll({ ...r, timeoutMs: DIAL_TIMEOUT_MS });
    case "cpu": {
      const { user, system } = process.cpuUsage();
      return user + system;
    }
    case "stopAll": {
      const all = [...endpoints.values()];
      endpoints.clear();
      dataplanes.clear();
      used.clear();
      await Promise.all(all.map((nse) => nse.stop()));
      await Promise.all(bare.map((b) => b.registration.stop({ unregister: false })));
      for (const b of bare.splice(0)) b.server.forceShutdown();
      await Promise.all(bareVl3.splice(0).map((b) => b.stop()));
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
