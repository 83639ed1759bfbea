// The DNS listeners: UDP and TCP on one address and port, each query run through the handler chain
// with a deadline (5 s, as NSM's). A malformed query gets FORMERR when its id can be read, and is
// dropped otherwise; a handler that throws answers SERVFAIL. TCP is bounded: so many connections at
// once and so many queries in flight on each (a query may fan out to every peer), so one client cannot
// tie the server up. Nothing here knows about the vL3.
import dgram from "node:dgram";
import net from "node:net";
import type { Logger } from "../log.js";
import type { DnsHandler } from "./handler.js";
import {
  type DnsMessage,
  DnsWireError,
  decodeMessage,
  encodeForUdp,
  encodeMessage,
  frame,
  queryMessage,
  replyTo,
  udpSizeOf,
  unframe,
} from "./wire.js";

/** Open TCP connections at once; one more is closed on accept (UDP and open connections go on). */
export const MAX_TCP_CONNECTIONS = 128;
/** Queries of one TCP connection being answered at once; further pipelined ones wait, unread. */
export const MAX_TCP_QUERIES_IN_FLIGHT = 16;

export interface DnsServerOptions {
  host: string;
  /** 0 takes a free port (the same one for UDP and TCP). */
  port: number;
  handler: DnsHandler;
  log: Logger;
  timeoutMs?: number;
  /** Default MAX_TCP_CONNECTIONS. */
  maxTcpConnections?: number;
  /** Default MAX_TCP_QUERIES_IN_FLIGHT. */
  maxTcpQueriesInFlight?: number;
}

export interface DnsServer {
  host: string;
  port: number;
  close(): Promise<void>;
}

async function answer(
  o: DnsServerOptions,
  buf: Buffer,
  from: string,
): Promise<{ reply: DnsMessage; query?: DnsMessage } | undefined> {
  let query: DnsMessage;
  try {
    query = decodeMessage(buf);
  } catch (error) {
    if (error instanceof DnsWireError && error.id !== undefined)
      return { reply: replyTo({ ...queryMessage(error.id, ".", "A"), questions: [] }, "FORMERR") };
    return undefined;
  }
  try {
    return { query, reply: await o.handler({ query, deadline: Date.now() + (o.timeoutMs ?? 5000), from }) };
  } catch (err) {
    o.log.warn({ err, from }, "DNS handler failed; answering SERVFAIL");
    return { query, reply: replyTo(query, "SERVFAIL") };
  }
}

function listenUdp(o: DnsServerOptions, port: number): Promise<dgram.Socket> {
  const socket = dgram.createSocket({ type: net.isIPv6(o.host) ? "udp6" : "udp4", reuseAddr: false });
  socket.on("message", (buf, rinfo) => {
    void answer(o, buf, `udp ${rinfo.address}:${rinfo.port}`).then((r) => {
      if (!r) return;
      const out = encodeForUdp(r.reply, r.query ? udpSizeOf(r.query) : 512);
      socket.send(out, rinfo.port, rinfo.address, () => {});
    });
  });
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(port, o.host, () => {
      socket.off("error", reject);
      socket.on("error", (err) => o.log.warn({ err }, "DNS UDP socket error"));
      resolve(socket);
    });
  });
}

function listenTcp(o: DnsServerOptions, port: number): Promise<net.Server> {
  const open = new Set<net.Socket>();
  const maxInFlight = o.maxTcpQueriesInFlight ?? MAX_TCP_QUERIES_IN_FLIGHT;
  const server = net.createServer((conn) => {
    open.add(conn);
    conn.on("close", () => open.delete(conn));
    let data: Buffer = Buffer.alloc(0);
    const from = `tcp ${conn.remoteAddress}:${conn.remotePort}`;
    // Frames read but not yet started; while any wait, the socket is paused, so what a client can
    // pipeline beyond the cap is bounded by one read.
    const waiting: Buffer[] = [];
    let inFlight = 0;
    const pump = () => {
      while (inFlight < maxInFlight && waiting.length > 0) {
        inFlight++;
        void answer(o, waiting.shift()!, from).then((r) => {
          inFlight--;
          if (r && !conn.destroyed) conn.write(frame(encodeMessage(r.reply)));
          pump();
        });
      }
      if (waiting.length > 0) conn.pause();
      else if (!conn.destroyed) conn.resume();
    };
    conn.on("error", () => conn.destroy());
    conn.setTimeout(o.timeoutMs ?? 5000, () => conn.destroy());
    conn.on("data", (chunk) => {
      const { frames, rest } = unframe(Buffer.concat([data, chunk]));
      data = rest;
      waiting.push(...frames);
      pump();
    });
  });
  // Node closes a connection past this at once ("drop"); the others are not disturbed.
  server.maxConnections = o.maxTcpConnections ?? MAX_TCP_CONNECTIONS;
  server.on("drop", (d) =>
    o.log.debug(
      { from: d && `${d.remoteAddress}:${d.remotePort}` },
      "DNS TCP connection refused: too many open",
    ),
  );
  // Closing the server also ends the connections that clients keep open between queries.
  const close = server.close.bind(server);
  server.close = (cb) => {
    for (const c of open) c.destroy();
    return close(cb);
  };
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, o.host, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}

export async function startDnsServer(o: DnsServerOptions): Promise<DnsServer> {
  // With port 0 the TCP side may find UDP's free port taken: try a few ports.
  for (let attempt = 1; ; attempt++) {
    const udp = await listenUdp(o, o.port);
    const port = udp.address().port;
    try {
      const tcp = await listenTcp(o, port);
      return {
        host: o.host,
        port,
        close: async () => {
          await new Promise<void>((r) => udp.close(() => r()));
          await new Promise<void>((r) => tcp.close(() => r()));
        },
      };
    } catch (error) {
      udp.close();
      if (o.port !== 0 || attempt >= 5) throw error;
    }
  }
}
