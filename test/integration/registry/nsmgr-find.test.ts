// A Find watch through the sandbox nsmgr (where descriptors pass, endpoints reach the registry only
// through it): when the registry behind it goes away, the caller's stream ends with an error at once,
// so that its watch starts again; it must not hang on stale entries (the interdomain cut-off test hung
// so: the nsmgr took the registry's CANCELLED for its own cancel and sent nothing). Its entries pass
// through as the registry's bytes (src/grpc/relay.ts), the registry encoding each once for all watchers.
import type * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import {
  NetworkServiceEndpoint,
  type NetworkServiceEndpointResponse,
} from "../../../src/grpc/gen/registry/registry.js";
import { Transport } from "../../../src/grpc/transport.js";
import { endpointRegistryClient } from "../../../src/registry/clients.js";
import { type Sandbox, startSandbox } from "../../../src/sandbox/index.js";
import { unary } from "../../../src/util/grpc.js";
import { waitFor } from "../../support/endpoint.js";
import { collect } from "./helpers.js";

let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.stop();
  sb = undefined;
});

describe("Find through the sandbox nsmgr", () => {
  it("ends with an error when the registry behind the nsmgr goes away", async () => {
    sb = await startSandbox({ security: false });
    const client = endpointRegistryClient(sb.nsmgrs[0]!.url, { initialMs: 50, maxMs: 500 }, new Transport());
    try {
      const watch = (onEnd: (e?: grpc.ServiceError) => void) => {
        const stream = client.find({
          networkServiceEndpoint: NetworkServiceEndpoint.fromPartial({}),
          watch: true,
        });
        stream.on("error", (e: grpc.ServiceError) => onEnd(e));
        stream.on("end", () => onEnd());
        stream.on("data", () => {});
        return stream;
      };
      let broken: grpc.ServiceError | "ended" | undefined;
      const finds = sb.registry.calls.nseFind;
      watch((e) => {
        broken ??= e ?? "ended";
      });
      // The watch is open at the registry (it counts the Find) before the registry goes.
      await waitFor(() => sb!.registry.calls.nseFind > finds, "the Find to reach the registry", 10_000);
      await sb.registry.restart({ downMs: 200 });
      await waitFor(() => broken !== undefined, "the caller's watch to end", 10_000);
      expect(broken).not.toBe("ended");
      expect((broken as grpc.ServiceError).code).toBeGreaterThan(0);
    } finally {
      client.close();
    }
  });

  it("passes the registry's entries, joins and leaves to every watcher as the registry sent them", async () => {
    sb = await startSandbox({ security: false });
    const viaNsmgr = endpointRegistryClient(
      sb.nsmgrs[0]!.url,
      { initialMs: 50, maxMs: 500 },
      new Transport(),
    );
    const direct = endpointRegistryClient(sb.registry.url, { initialMs: 50, maxMs: 500 }, new Transport());
    const streams: grpc.ClientReadableStream<NetworkServiceEndpointResponse>[] = [];
    const watch = () => {
      const stream = viaNsmgr.find({
        networkServiceEndpoint: NetworkServiceEndpoint.fromPartial({ networkServiceNames: ["relay-test"] }),
        watch: true,
      });
      streams.push(stream);
      return collect<NetworkServiceEndpointResponse>(stream);
    };
    const entry = (name: string) =>
      NetworkServiceEndpoint.fromPartial({
        name,
        networkServiceNames: ["relay-test"],
        networkServiceLabels: { "relay-test": { labels: { app: "ü-label" } } },
        url: `tcp://127.0.0.1:${name.length + 1000}`,
        expirationTime: new Date(Date.now() + 30_000),
      });
    try {
      await unary(direct, direct.register, entry("before"), 5000);
      const watchers = [watch(), watch()];
      await waitFor(
        () => watchers.every((w) => w.items.length === 1),
        "the listing at both watchers",
        10_000,
      );
      await unary(direct, direct.register, entry("joined"), 5000);
      await unary(direct, direct.unregister, entry("before"), 5000);
      await waitFor(() => watchers.every((w) => w.items.length === 3), "a join and a leave at both", 10_000);
      const stored = new Map(sb.registry.entries().map((e) => [e.name, e]));
      for (const w of watchers) {
        expect(w.errors).toEqual([]);
        expect(w.items.map((r) => [r.networkServiceEndpoint?.name, r.deleted])).toEqual([
          ["before", false],
          ["joined", false],
          ["before", true],
        ]);
        // Every field as the registry stored it (its expiration and registration times included).
        expect(w.items[1]!.networkServiceEndpoint).toEqual(stored.get("joined"));
      }
      expect(watchers[1]!.items).toEqual(watchers[0]!.items);
    } finally {
      for (const s of streams) {
        s.on("error", () => {});
        s.cancel();
      }
      viaNsmgr.close();
      direct.close();
    }
  });
});
