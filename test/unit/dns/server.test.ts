// The DNS listeners over real UDP and TCP on loopback: the same answer on both, truncation to TCP,
// FORMERR and NOTIMP for bad input, the caps on TCP connections and on queries in flight per
// connection; and the host:port form of DNS server addresses that DNS configs carry.
import dgram from "node:dgram";
import net from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { exchange, formatServer, parseServer } from "../../../src/dns/client.js";
import { chain, checkQuery } from "../../../src/dns/handler.js";
import { type DnsServer, startDnsServer } from "../../../src/dns/server.js";
import {
  type DnsMessage,
  decodeMessage,
  encodeMessage,
  frame,
  replyTo,
  unframe,
} from "../../../src/dns/wire.js";
import { silentLogger } from "../../../src/log.js";
import { q } from "../../support/dns/upstream.js";

let server: DnsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A server answering `count` A records for any name. */
async function serve(count = 1): Promise<string> {
  const answers = (name: string) =>
    Array.from({ length: count }, (_, i) => ({
      type: "A" as const,
      name,
      ttl: 5,
      class: "IN" as const,
      data: `172.16.${i >> 8}.${i & 255}`,
    }));
  server = await startDnsServer({
    host: "127.0.0.1",
    port: 0,
    log: silentLogger(),
    handler: chain([checkQuery], async ({ query }) =>
      replyTo(query, "NOERROR", answers(query.questions[0]!.name)),
    ),
  });
  return `127.0.0.1:${server.port}`;
}

describe("the DNS server (UDP and TCP on one port)", () => {
  it("answers the same query over UDP and over TCP", async () => {
    const at = await serve();
    const udp = await exchange(at, q("a.vl3."), Date.now() + 3000);
    const tcp = await exchange(at, q("a.vl3."), Date.now() + 3000, { tcp: true });
    expect(udp.answers).toEqual(tcp.answers);
    expect(udp.answers).toHaveLength(1);
  });

  it("truncates an answer too big for UDP, and the client gets it whole over TCP", async () => {
    const at = await serve(100);
    const r = await exchange(at, q("big.vl3."), Date.now() + 3000);
    expect([r.truncated, r.answers.length]).toEqual([false, 100]);
  });

  it("answers FORMERR to a message that is not a query it can read, and NOTIMP to another opcode", async () => {
    const at = await serve();
    const [host, port] = at.split(":");
    const socket = dgram.createSocket("udp4");
    const reply = (buf: Buffer) =>
      new Promise<Buffer>((resolve) => {
        socket.once("message", resolve);
        socket.send(buf, Number(port), host);
      });
    try {
      const garbage = Buffer.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xff]);
      const bad = decodeMessage(await reply(garbage));
      expect([bad.id, bad.rcode]).toEqual([0x1234, "FORMERR"]);
      const notify = decodeMessage(await reply(encodeMessage({ ...q("a."), opcode: "NOTIFY" })));
      expect(notify.rcode).toBe("NOTIMP");
    } finally {
      socket.close();
    }
  });
});

/**
 * A server whose names under `hold.` are answered only when the test releases them; it counts the
 * queries being answered now and the most there ever were at once. Other names are answered at once.
 */
async function serveHolding(caps: { maxTcpConnections?: number; maxTcpQueriesInFlight?: number }) {
  const held: (() => void)[] = [];
  const seen = { now: 0, most: 0 };
  server = await startDnsServer({
    host: "127.0.0.1",
    port: 0,
    log: silentLogger(),
    ...caps,
    handler: async ({ query }) => {
      if (!query.questions[0]!.name.startsWith("hold.")) return replyTo(query, "NOERROR");
      seen.most = Math.max(seen.most, ++seen.now);
      await new Promise<void>((resolve) => held.push(resolve));
      seen.now--;
      return replyTo(query, "NOERROR");
    },
  });
  const release = () => {
    for (const r of held.splice(0)) r();
  };
  return { at: `127.0.0.1:${server.port}`, port: server.port, held, seen, release };
}

/** A raw TCP connection to the server: sends framed queries, collects the answers and whether it closed. */
async function tcpClient(port: number) {
  const socket = net.connect(port, "127.0.0.1");
  const state = { answers: [] as DnsMessage[], closed: false };
  let data: Buffer = Buffer.alloc(0);
  socket.on("data", (chunk) => {
    const { frames, rest } = unframe(Buffer.concat([data, chunk]));
    data = rest;
    state.answers.push(...frames.map(decodeMessage));
  });
  socket.on("error", () => {});
  socket.on("close", () => {
    state.closed = true;
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const send = (...queries: DnsMessage[]) =>
    socket.write(Buffer.concat(queries.map((m) => frame(encodeMessage(m)))));
  return { socket, state, send };
}

const WAIT = { timeout: 10_000, interval: 20 };

describe("the DNS server's bounds on TCP", () => {
  it("answers at most the capped number of a connection's pipelined queries at once, all in the end", async () => {
    const s = await serveHolding({ maxTcpQueriesInFlight: 2 });
    const greedy = await tcpClient(s.port);
    const ids = [11, 12, 13, 14, 15];
    greedy.send(...ids.map((id) => q(`hold.${id}.vl3.`, "A", id)));
    await vi.waitFor(() => expect(s.held).toHaveLength(2), WAIT);
    // Others are still answered meanwhile, over UDP and on another connection; by then the server has
    // read the whole pipeline (one small write on loopback), and still only two are being answered.
    const udp = await exchange(s.at, q("other.vl3."), Date.now() + 3000);
    const other = await exchange(s.at, q("other.vl3."), Date.now() + 3000, { tcp: true });
    expect([udp.rcode, other.rcode]).toEqual(["NOERROR", "NOERROR"]);
    expect(s.seen).toEqual({ now: 2, most: 2 });
    // Each answer lets the next waiting query in: every query is answered, never more than two at once.
    await vi.waitFor(() => {
      s.release();
      expect(greedy.state.answers).toHaveLength(ids.length);
    }, WAIT);
    expect(greedy.state.answers.map((a) => a.id).sort()).toEqual(ids);
    expect(s.seen.most).toBe(2);
    greedy.socket.destroy();
  });

  it("closes a connection past the cap at once, and goes on answering the open ones, UDP and later ones", async () => {
    const s = await serveHolding({ maxTcpConnections: 2 });
    const first = await tcpClient(s.port);
    const second = await tcpClient(s.port);
    first.send(q("hold.first.vl3.", "A", 1));
    second.send(q("hold.second.vl3.", "A", 2));
    await vi.waitFor(() => expect(s.held).toHaveLength(2), WAIT);

    const third = await tcpClient(s.port);
    third.send(q("third.vl3.", "A", 3));
    await vi.waitFor(() => expect(third.state.closed).toBe(true), WAIT);
    expect(third.state.answers).toEqual([]);

    expect((await exchange(s.at, q("udp.vl3."), Date.now() + 3000)).rcode).toBe("NOERROR");
    s.release();
    await vi.waitFor(() => {
      expect(first.state.answers.map((a) => a.id)).toEqual([1]);
      expect(second.state.answers.map((a) => a.id)).toEqual([2]);
    }, WAIT);
    // Once one connection goes, a new one is served.
    first.socket.destroy();
    await vi.waitFor(async () => {
      expect((await exchange(s.at, q("later.vl3."), Date.now() + 3000, { tcp: true })).rcode).toBe("NOERROR");
    }, WAIT);
    second.socket.destroy();
  });
});

describe("DNS server addresses (as DNS configs carry them)", () => {
  it.each([
    ["172.16.0.1", 53, "172.16.0.1"],
    ["2001:db8::1", 53, "2001:db8::1"],
    ["127.0.0.1", 5353, "127.0.0.1:5353"],
    ["::1", 5353, "[::1]:5353"],
  ])("%s port %d is %s, and reads back", (host, port, text) => {
    expect(formatServer(host, port)).toBe(text);
    expect(parseServer(text)).toEqual({ host, port });
  });
});
