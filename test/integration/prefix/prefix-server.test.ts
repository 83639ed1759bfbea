// Our prefix server through real grpc-js IPAM clients on real sockets: NSM wire behaviour plus
// identity-keyed, persisted allocations.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  IPAMClient,
  type PrefixRequest,
  type PrefixResponse,
  Type,
} from "../../../src/grpc/gen/ipam/ipam.js";
import { type PrefixServer, startPrefixServer } from "../../../src/prefix/server.js";
import { PREFIX_IDENTITY_METADATA } from "../../../src/registry/labels.js";
import { waitFor } from "../registry/helpers.js";

type Stream = grpc.ClientDuplexStream<PrefixRequest, PrefixResponse>;

describe("prefix server", () => {
  let dir: string;
  let server: PrefixServer;
  let client: IPAMClient;
  const open: Stream[] = [];

  const start = async (stateFile?: string, exclude?: string[]) => {
    server = await startPrefixServer({
      listenOn: "127.0.0.1:0",
      pool: "172.16.0.0/16",
      prefixLen: 24,
      stateFile,
      exclude,
    });
    client = new IPAMClient(server.url, grpc.credentials.createInsecure());
  };
  const stream = (identity?: string): Stream => {
    const md = new grpc.Metadata();
    if (identity) md.set(PREFIX_IDENTITY_METADATA, identity);
    const s = client.managePrefixes(md);
    s.on("error", () => {});
    open.push(s);
    return s;
  };
  const ask = (s: Stream, prefix = "", excludePrefixes: string[] = []) =>
    new Promise<PrefixResponse>((resolve, reject) => {
      s.once("data", resolve);
      s.once("error", reject);
      s.write({ type: Type.ALLOCATE, prefix, excludePrefixes });
    });
  const closeStream = (s: Stream) =>
    new Promise<void>((resolve) => {
      s.on("status", () => resolve());
      s.end();
    });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "vl3-prefix-"));
  });
  afterEach(async () => {
    for (const s of open.splice(0)) s.cancel();
    client?.close();
    await server?.stop();
    client = undefined as unknown as IPAMClient;
    server = undefined as unknown as PrefixServer;
    rmSync(dir, { recursive: true, force: true });
  });

  it("hands out distinct prefixes in order and echoes exclude_prefixes", async () => {
    await start(undefined, ["172.16.1.0/24"]);
    const a = await ask(stream("a"));
    const b = await ask(stream("b"), "", ["10.0.0.0/8"]);
    const anon = await ask(stream());
    expect([a.prefix, b.prefix, anon.prefix]).toEqual(["172.16.0.0/24", "172.16.2.0/24", "172.16.3.0/24"]);
    expect(b.excludePrefixes).toEqual(["10.0.0.0/8", "172.16.1.0/24"]);
  });

  it("honours a requested free prefix, and never gives one endpoint's prefix to another", async () => {
    await start();
    expect((await ask(stream("a"), "172.16.9.0/24")).prefix).toBe("172.16.9.0/24");
    expect((await ask(stream("b"), "172.16.9.0/24")).prefix).toBe("172.16.0.0/24");
    // An identity that asks for another free prefix moves there; the old one is free again.
    const s = stream("b");
    expect((await ask(s, "172.16.7.0/24")).prefix).toBe("172.16.7.0/24");
    // Asking for a taken prefix keeps the identity's own.
    expect((await ask(s, "172.16.9.0/24")).prefix).toBe("172.16.7.0/24");
    expect(server.allocations()).toHaveLength(2);
  });

  it("gives an identity its prefix back after its stream ends; frees anonymous ones with the stream", async () => {
    await start();
    const a = stream("a");
    const first = (await ask(a)).prefix;
    const anon = stream();
    expect((await ask(anon)).prefix).toBe("172.16.1.0/24");
    await closeStream(a);
    await closeStream(anon);
    await waitFor(() => server.allocations().length === 1, "the anonymous prefix to be freed");
    expect(server.allocations()).toEqual([{ identity: "a", prefix: first }]);
    expect((await ask(stream("a"))).prefix).toBe(first);
  });

  it("DELETE frees only the asker's own prefix", async () => {
    await start();
    const a = stream("a");
    const pa = (await ask(a)).prefix;
    const b = stream("b");
    const pb = (await ask(b)).prefix;
    b.write({ type: Type.DELETE, prefix: pa, excludePrefixes: [] });
    a.write({ type: Type.DELETE, prefix: pa, excludePrefixes: [] });
    await waitFor(() => server.allocations().length === 1, "a's prefix to be freed");
    expect(server.allocations()).toEqual([{ identity: "b", prefix: pb }]);
  });

  it("keeps every prefix across a restart with a state file, written atomically", async () => {
    const stateFile = join(dir, "prefixes.json");
    await start(stateFile);
    const before = [(await ask(stream("a"))).prefix, (await ask(stream("b"))).prefix];
    await ask(stream()); // anonymous: not kept
    expect(JSON.parse(readFileSync(stateFile, "utf8")).allocations).toHaveLength(2);
    expect(readdirSync(dir)).toEqual(["prefixes.json"]); // no temporary file left behind
    await server.restart();
    expect(server.allocations().map((x) => x.prefix)).toEqual(before);
    // Fresh clients (restarted endpoints) with nothing to ask for get their prefixes back; a newcomer
    // gets another.
    client.close();
    client = new IPAMClient(server.url, grpc.credentials.createInsecure());
    expect((await ask(stream("b"))).prefix).toBe(before[1]);
    expect((await ask(stream("a"))).prefix).toBe(before[0]);
    expect(before).not.toContain((await ask(stream("c"))).prefix);
  });

  it("refuses a state file that is not one, or does not fit the pool", async () => {
    const stateFile = join(dir, "prefixes.json");
    writeFileSync(stateFile, "{not json");
    await expect(start(stateFile)).rejects.toThrow(/prefixes.json: not JSON/);
    const foreign = {
      version: 1,
      pool: "10.0.0.0/8",
      prefixLen: 24,
      allocations: [{ identity: "a", prefix: "10.1.0.0/24" }],
    };
    writeFileSync(stateFile, JSON.stringify(foreign));
    await expect(start(stateFile)).rejects.toThrow(/does not fit pool 172.16.0.0\/16/);
  });

  it("loses allocations over a restart without a state file", async () => {
    await start();
    await ask(stream("a"), "172.16.5.0/24");
    await server.restart();
    expect(server.allocations()).toEqual([]);
  });

  it("answers UNDEFINED with INVALID_ARGUMENT naming type, and a malformed prefix naming prefix", async () => {
    await start();
    const s = stream("a");
    const err = await new Promise<grpc.ServiceError>((resolve) => {
      s.removeAllListeners("error");
      s.on("error", resolve);
      s.write({ type: Type.UNDEFINED, prefix: "", excludePrefixes: [] });
    });
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/^type: UNDEFINED/);
    await expect(ask(stream("b"), "not-a-cidr")).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringMatching(/^prefix:/),
    });
  });

  it("says RESOURCE_EXHAUSTED when the pool is used up", async () => {
    server = await startPrefixServer({ listenOn: "127.0.0.1:0", pool: "172.16.0.0/23", prefixLen: 24 });
    client = new IPAMClient(server.url, grpc.credentials.createInsecure());
    await ask(stream("a"));
    await ask(stream("b"));
    await expect(ask(stream("c"))).rejects.toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED });
  });
});
