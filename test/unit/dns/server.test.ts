// The DNS listeners over real UDP and TCP on loopback: the same answer on both, truncation to TCP,
// FORMERR and NOTIMP for bad input; and the host:port form of DNS server addresses that DNS
// configs carry.
import dgram from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { exchange, formatServer, parseServer } from "../../../src/dns/client.js";
import { chain, checkQuery } from "../../../src/dns/handler.js";
import { type DnsServer, startDnsServer } from "../../../src/dns/server.js";
import { decodeMessage, encodeMessage, replyTo } from "../../../src/dns/wire.js";
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
