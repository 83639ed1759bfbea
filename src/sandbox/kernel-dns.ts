// Workload DNS in the kernel sandbox, where every endpoint runs in this process but owns a network
// namespace: a small relay inside the endpoint's namespace answers on port 53 (UDP and TCP) by
// passing each query over a unix socket to the endpoint's DNS server on loopback here; and each
// client's namespace gets the resolv.conf that NSM's DNS sidecar would write from its DNS context.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { type DnsMessage, decodeMessage, encodeMessage, frame, unframe } from "../dns/wire.js";
import type { DNSContext } from "../grpc/gen/networkservice/connectioncontext.js";

export interface DnsRelay {
  stop(): Promise<void>;
  /** One exchange with a peer's DNS server, sent from the endpoint's namespace (its fanout). */
  exchange(server: string, query: DnsMessage, deadline: number): Promise<DnsMessage>;
}

// Plain JS for `node -e` inside the namespace: UDP queries go framed over the unix socket (DNS over
// TCP framing), TCP connections are piped whole. It exits when its stdin (our pipe) closes.
const RELAY = `
const [sock, outSock] = process.argv.slice(1);
const dgram = require("node:dgram"), net = require("node:net");
const udp = dgram.createSocket("udp4");
udp.on("message", (msg, from) => {
  const c = net.connect(sock);
  const len = Buffer.alloc(2); len.writeUInt16BE(msg.length);
  let buf = Buffer.alloc(0);
  c.setTimeout(5000, () => c.destroy());
  c.on("error", () => c.destroy());
  c.on("data", (d) => {
    buf = Buffer.concat([buf, d]);
    if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      udp.send(buf.subarray(2, 2 + buf.readUInt16BE(0)), from.port, from.address);
      c.destroy();
    }
  });
  c.write(Buffer.concat([len, msg]));
});
const tcp = net.createServer((s) => {
  const c = net.connect(sock);
  s.pipe(c).pipe(s);
  s.on("error", () => c.destroy()); c.on("error", () => s.destroy());
});
// The way out: the endpoint's fanout to its peers' DNS servers leaves from this namespace. A
// connection's first frame names the server ("ip" or "ip:port"); each next frame is a query for it.
const out = net.createServer((c) => {
  const u = dgram.createSocket("udp4");
  let buf = Buffer.alloc(0), target;
  u.on("message", (m) => { const l = Buffer.alloc(2); l.writeUInt16BE(m.length); c.write(Buffer.concat([l, m])); });
  u.on("error", () => c.destroy());
  c.on("data", (d) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      const f = buf.subarray(2, 2 + buf.readUInt16BE(0)); buf = buf.subarray(2 + f.length);
      if (target === undefined) target = String(f);
      else { const [h, p] = target.split(":"); u.send(f, Number(p || 53), h); }
    }
  });
  c.on("close", () => u.close()); c.on("error", () => c.destroy());
});
let up = 0; const ready = () => { if (++up === 3) console.log("listening"); };
udp.bind(53, "0.0.0.0", ready); tcp.listen(53, "0.0.0.0", ready); out.listen(outSock, ready);
process.stdin.on("end", () => process.exit(0)); process.stdin.resume();
`;

/** Starts the relay in `netns` for the DNS server at 127.0.0.1:`port`. */
export async function startDnsRelay(netns: string, socketPath: string, port: number): Promise<DnsRelay> {
  const outPath = `${socketPath}.out`;
  rmSync(socketPath, { force: true });
  rmSync(outPath, { force: true });
  const bridge = net.createServer((conn) => {
    const upstream = net.connect(port, "127.0.0.1");
    conn.pipe(upstream).pipe(conn);
    conn.on("error", () => upstream.destroy());
    upstream.on("error", () => conn.destroy());
  });
  await new Promise<void>((resolve, reject) => bridge.once("error", reject).listen(socketPath, resolve));
  const child: ChildProcess = spawn(
    "nsenter",
    [`--net=/run/netns/${netns}`, process.execPath, "-e", RELAY, socketPath, outPath],
    {
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  let stderr = "";
  child.stderr!.on("data", (d) => {
    stderr += String(d);
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await exited;
    }
    await new Promise((r) => bridge.close(r));
    rmSync(socketPath, { force: true });
    rmSync(outPath, { force: true });
  };
  const ready = await Promise.race([
    new Promise<boolean>((resolve) =>
      child.stdout!.on("data", (d) => String(d).includes("listening") && resolve(true)),
    ),
    new Promise<boolean>((resolve) => child.once("exit", () => resolve(false))),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000)).then((v) => v),
  ]);
  if (!ready) {
    await stop();
    throw new Error(`DNS relay in ${netns} did not start: ${stderr.trim()}`);
  }
  return { stop, exchange: (server, query, deadline) => exchangeVia(outPath, server, query, deadline) };
}

function exchangeVia(
  outPath: string,
  server: string,
  query: DnsMessage,
  deadline: number,
): Promise<DnsMessage> {
  return new Promise((resolve, reject) => {
    const c = net.connect(outPath);
    let data: Buffer = Buffer.alloc(0);
    const timer = setTimeout(
      () => done(() => reject(new Error(`DNS server ${server} did not answer in time`))),
      deadline - Date.now(),
    );
    const done = (fn: () => void) => {
      clearTimeout(timer);
      c.destroy();
      fn();
    };
    c.on("error", (err) => done(() => reject(err)));
    c.on("connect", () => c.write(Buffer.concat([frame(Buffer.from(server)), frame(encodeMessage(query))])));
    c.on("data", (chunk) => {
      const { frames, rest } = unframe(Buffer.concat([data, chunk]));
      data = rest;
      for (const f of frames) {
        try {
          const reply = decodeMessage(f);
          if (reply.id === query.id && reply.response) return done(() => resolve(reply));
        } catch {
          // not an answer: wait for one
        }
      }
    });
  });
}

/**
 * What NSM's DNS sidecar does for a client: its namespace's resolv.conf (/etc/netns/<ns>/resolv.conf,
 * which `ip netns exec` mounts) names the DNS servers and search domains of its connection. Servers
 * with a port of their own cannot go in resolv.conf and are left out.
 */
export function writeResolvConf(netns: string, dns: DNSContext | undefined): void {
  const configs = dns?.configs ?? [];
  const servers = configs.flatMap((c) => c.dnsServerIps).filter((s) => net.isIP(s) !== 0);
  const search = [...new Set(configs.flatMap((c) => c.searchDomains))];
  const lines = [
    ...servers.map((s) => `nameserver ${s}`),
    ...(search.length ? [`search ${search.join(" ")}`] : []),
    "options timeout:1 attempts:3",
  ];
  mkdirSync(`/etc/netns/${netns}`, { recursive: true });
  writeFileSync(`/etc/netns/${netns}/resolv.conf`, `${lines.join("\n")}\n`);
}

export function removeResolvConf(netns: string): void {
  rmSync(`/etc/netns/${netns}`, { recursive: true, force: true });
}
