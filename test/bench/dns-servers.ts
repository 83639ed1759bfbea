// The servers of bench:dns, in a child process of their own so that their CPU time is theirs alone:
// one endpoint's workload DNS (src/dns/vl3.ts, fed link signals as the endpoint would feed it) with a
// peer endpoint's DNS behind its fanout, and the baseline, a minimal responder on the same library
// (dns-packet: decode, one A record, encode). Asked over IPC for its ports and its CPU time.
import dgram from "node:dgram";
import packet from "dns-packet";
import type { LifecycleSignal, LinkSignal, Observable } from "../../src/actors/observe.js";
import { Vl3Dns } from "../../src/dns/vl3.js";
import { silentLogger } from "../../src/log.js";

type Request = { cmd: "start"; local: number; remote: number } | { cmd: "cpu" } | { cmd: "stop" };

/** A stand-in for the endpoint: only its signals, which is all workload DNS reads. */
function signals(): { observable: Observable; emit(s: LifecycleSignal): void } {
  let listener: (s: LifecycleSignal) => void = () => {};
  const observable = {
    onSignal: (l: (s: LifecycleSignal) => void) => {
      listener = l;
      return () => {};
    },
  } as unknown as Observable;
  return { observable, emit: (s) => listener(s) };
}

const client = (i: number, name: string, address: string): LinkSignal => ({
  type: "link",
  id: `connection/${name}`,
  kind: "client",
  up: true,
  connectionId: `c-${i}`,
  networkService: "vl3-service",
  endpointName: "nse",
  payload: "IP",
  labels: { podName: name },
  addresses: [`${address}/32`],
  dnsServers: [],
});

const ip = (third: number, i: number) => `172.16.${third + (i >> 8)}.${i & 255}`;

async function dnsOf(name: string): Promise<{ dns: Vl3Dns; emit(s: LifecycleSignal): void }> {
  const dns = new Vl3Dns({
    name,
    serviceNames: ["vl3-service"],
    selfLabels: { podName: name },
    templates: '{{ index .Labels "podName" }}.{{ .NetworkService }}.',
    ttlMs: 5000,
    fanoutTimeoutMs: 1000,
    listen: { host: "127.0.0.1", port: 0 },
    log: silentLogger(),
  });
  const s = signals();
  dns.attach(s.observable);
  await dns.start();
  return { dns, emit: s.emit };
}

function baseline(): Promise<dgram.Socket> {
  const socket = dgram.createSocket("udp4");
  socket.on("message", (buf, from) => {
    const q = packet.decode(buf);
    const question = q.questions![0]!;
    const reply = packet.encode({
      type: "response",
      id: q.id,
      flags: packet.AUTHORITATIVE_ANSWER,
      questions: q.questions,
      answers: [{ type: "A", name: question.name, ttl: 5, class: "IN", data: "172.16.0.2" }],
    });
    socket.send(reply, from.port, from.address);
  });
  return new Promise((resolve) => socket.bind(0, "127.0.0.1", () => resolve(socket)));
}

const closers: Array<() => Promise<void> | void> = [];

process.on("message", async (m: Request) => {
  if (m.cmd === "cpu") {
    const u = process.cpuUsage();
    process.send!({ cpu: u.user + u.system });
  } else if (m.cmd === "start") {
    const peer = await dnsOf("nse-b");
    for (let i = 0; i < m.remote; i++) peer.emit(client(i, `remote-${i}`, ip(1, i)));
    const endpoint = await dnsOf("nse-a");
    for (let i = 0; i < m.local; i++) endpoint.emit(client(i, `local-${i}`, ip(0, i)));
    const peerLink: LinkSignal = {
      ...client(0, "x", "172.16.1.1"),
      id: "peer/nse-b",
      kind: "peer",
      dnsServers: [peer.dns.address()!],
    };
    endpoint.emit(peerLink);
    const base = await baseline();
    closers.push(
      () => endpoint.dns.stop(),
      () => peer.dns.stop(),
      () => void base.close(),
    );
    process.send!({ endpoint: endpoint.dns.port, baseline: base.address().port });
  } else {
    for (const c of closers) await c();
    process.exit(0);
  }
});
// Never outlive the benchmark.
process.on("disconnect", () => process.exit(0));
