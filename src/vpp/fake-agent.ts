// A FAKE ligato vpp-agent for tests, the sandbox and the demo. It is NOT VPP and programs nothing:
// a grpc-js ConfiguratorService over FakeAgentStore, with hooks to inject failures and restarts.
import { existsSync, unlinkSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import {
  type ConfiguratorServiceServer,
  ConfiguratorServiceService,
  type DeleteRequest,
  type UpdateRequest,
} from "../grpc/gen/ligato/configurator/configurator.js";
import type { ConfigData } from "../grpc/gen/ligato/vpp/vpp.js";
import { defaultTransport, type Transport } from "../grpc/transport.js";
import { grpcTarget, parseGrpcUrl } from "../grpc/url.js";
import {
  type FailKeys,
  FakeAgentStore,
  RequestRejected,
  TransactionFailed,
  type ValueState,
} from "./fake-store.js";

/** Requests kept for exact-payload assertions (the newest last). */
const KEEP_REQUESTS = 100;

export interface Received<T> {
  request: T;
  /** The `datasrc` metadata; the agent's default is "grpc". */
  datasrc: string;
}

export interface FakeAgent {
  /** grpc-js target to dial ("127.0.0.1:port" or "unix:///path"). */
  readonly target: string;
  readonly calls: { get: number; update: number; delete: number; dump: number };
  readonly updates: Received<UpdateRequest>[];
  readonly deletes: Received<DeleteRequest>[];
  /** Makes these agent keys (or keys matching the predicate) fail in VPP; undefined clears it. */
  failKeys(keys: FailKeys | undefined): void;
  /** What Dump shows: the values in VPP. */
  running(): ConfigData;
  /** What Get shows: the desired values, including PENDING and FAILED ones. */
  desired(): ConfigData;
  state(key: string): ValueState | undefined;
  /** Stops serving; the agent's state is lost, as in a real agent restart without etcd. */
  stop(): Promise<void>;
  /** Serves again on the same address with empty state. */
  start(): Promise<void>;
  restart(): Promise<void>;
}

/** Starts a fake agent on `target` (default "127.0.0.1:0", a free port) or a unix socket. */
export async function startFakeAgent(
  opts: { target?: string; transport?: Transport } = {},
): Promise<FakeAgent> {
  const transport = opts.transport ?? defaultTransport;
  let store = new FakeAgentStore();
  let failing: FailKeys | undefined;
  let server: grpc.Server | undefined;
  let url = parseGrpcUrl(opts.target ?? "127.0.0.1:0");
  const calls = { get: 0, update: 0, delete: 0, dump: 0 };
  const updates: Received<UpdateRequest>[] = [];
  const deletes: Received<DeleteRequest>[] = [];

  const datasrcOf = (md: grpc.Metadata) => String(md.get("datasrc")[0] ?? "grpc");
  const keep = <T>(list: Received<T>[], request: T, md: grpc.Metadata) => {
    list.push({ request, datasrc: datasrcOf(md) });
    if (list.length > KEEP_REQUESTS) list.shift();
  };
  // One transaction at a time and in arrival order, as the agent's dispatcher mutex does (handlers are sync).
  const reply = (
    call: { sendMetadata(md: grpc.Metadata): void },
    callback: (err: Partial<grpc.StatusObject> | null, res?: object) => void,
    run: () => number,
  ) => {
    let seqnum: number;
    try {
      seqnum = run();
    } catch (err) {
      const known = err instanceof RequestRejected || err instanceof TransactionFailed;
      const code = known ? grpc.status.FAILED_PRECONDITION : grpc.status.INTERNAL;
      return callback({ code, details: (err as Error).message });
    }
    const header = new grpc.Metadata();
    header.set("seqnum", String(seqnum));
    call.sendMetadata(header);
    callback(null, {});
  };

  const service: ConfiguratorServiceServer = {
    get: (_call, callback) => {
      calls.get++;
      callback(null, { config: { vppConfig: store.desired() } });
    },
    dump: (_call, callback) => {
      calls.dump++;
      callback(null, { dump: { vppConfig: store.running() } });
    },
    update: (call, callback) => {
      calls.update++;
      keep(updates, call.request, call.metadata);
      const { update, fullResync } = call.request;
      reply(call, callback, () => store.update(update?.vppConfig, datasrcOf(call.metadata), fullResync));
    },
    delete: (call, callback) => {
      calls.delete++;
      keep(deletes, call.request, call.metadata);
      reply(call, callback, () => store.delete(call.request.delete?.vppConfig));
    },
  };

  const start = async () => {
    if (server) return;
    store = new FakeAgentStore();
    store.failKeys = failing;
    if (url.kind === "unix" && existsSync(url.path)) unlinkSync(url.path);
    const s = transport.server();
    s.addService(ConfiguratorServiceService, service);
    // A restart binds the port it had (resolved from port 0 the first time).
    url = await transport.bind(s, url);
    server = s;
  };
  const stop = async () => {
    const s = server;
    server = undefined;
    // Drop open connections too, so clients see the agent go away as they would on a crash.
    if (s) await transport.shutdown(s, { force: true });
  };

  await start();
  return {
    get target() {
      return grpcTarget(url);
    },
    calls,
    updates,
    deletes,
    failKeys(keys) {
      failing = keys;
      store.failKeys = keys;
    },
    running: () => store.running(),
    desired: () => store.desired(),
    state: (key) => store.state(key),
    stop,
    start,
    restart: async () => {
      await stop();
      await start();
    },
  };
}
