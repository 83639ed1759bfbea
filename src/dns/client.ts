// Asks one DNS server one question: UDP first, TCP when the answer comes back truncated. Used by
// the fanout to the peers' DNS servers, by tests and by the benchmark; every exchange is bounded by
// a deadline.
import dgram from "node:dgram";
import net from "node:net";
import { type DnsMessage, decodeMessage, encodeMessage, frame, unframe } from "./wire.js";

/** "10.0.0.1", "10.0.0.1:5353", "[2001:db8::1]:5353" or "2001:db8::1" (port 53 unless given). */
export function parseServer(server: string): { host: string; port: number } {
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(server);
  if (bracket) return { host: bracket[1]!, port: Number(bracket[2] ?? 53) };
  if (net.isIPv6(server)) return { host: server, port: 53 };
  const m = /^([^:]+)(?::(\d+))?$/.exec(server);
  if (!m) throw new Error(`"${server}" is not a DNS server address (host or host:port)`);
  return { host: m[1]!, port: Number(m[2] ?? 53) };
}

/** A DNS server address as DNS configs carry it: the bare IP for port 53, else "host:port" ("[v6]:port"). */
export function formatServer(host: string, port: number): string {
  if (port === 53) return host;
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

export class DnsTimeoutError extends Error {
  constructor(server: string) {
    super(`DNS server ${server} did not answer in time`);
    this.name = "DnsTimeoutError";
  }
}

function udpExchange(host: string, port: number, query: DnsMessage, deadline: number): Promise<DnsMessage> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(net.isIPv6(host) ? "udp6" : "udp4");
    const done = (fn: () => void) => {
      clearTimeout(timer);
      socket.close();
      fn();
    };
    const timer = setTimeout(
      () => done(() => reject(new DnsTimeoutError(`${host}:${port}`))),
      deadline - Date.now(),
    );
    socket.on("error", (err) => done(() => reject(err)));
    socket.on("message", (buf) => {
      let reply: DnsMessage;
      try {
        reply = decodeMessage(buf);
      } catch {
        return; // not a DNS answer: keep waiting for one
      }
      if (reply.id === query.id && reply.response) done(() => resolve(reply));
    });
    socket.send(encodeMessage(query), port, host, (err) => err && done(() => reject(err)));
  });
}

function tcpExchange(host: string, port: number, query: DnsMessage, deadline: number): Promise<DnsMessage> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let data: Buffer = Buffer.alloc(0);
    const done = (fn: () => void) => {
      clearTimeout(timer);
      socket.destroy();
      fn();
    };
    const timer = setTimeout(
      () => done(() => reject(new DnsTimeoutError(`${host}:${port}`))),
      deadline - Date.now(),
    );
    socket.on("error", (err) => done(() => reject(err)));
    socket.on("connect", () => socket.write(frame(encodeMessage(query))));
    socket.on("data", (chunk) => {
      const { frames, rest } = unframe(Buffer.concat([data, chunk]));
      data = rest;
      for (const f of frames) {
        try {
          const reply = decodeMessage(f);
          if (reply.id === query.id) return done(() => resolve(reply));
        } catch (err) {
          return done(() => reject(err));
        }
      }
    });
    socket.on("end", () => done(() => reject(new Error(`DNS server ${host}:${port} closed the connection`))));
  });
}

/** One question to one server, answered by `deadline` (epoch ms) or rejected. */
export async function exchange(
  server: string,
  query: DnsMessage,
  deadline: number,
  o: { tcp?: boolean } = {},
): Promise<DnsMessage> {
  const { host, port } = parseServer(server);
  if (o.tcp) return tcpExchange(host, port, query, deadline);
  const reply = await udpExchange(host, port, query, deadline);
  return reply.truncated ? tcpExchange(host, port, query, deadline) : reply;
}
