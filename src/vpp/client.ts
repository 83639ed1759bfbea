// A promise-shaped client of the vpp-agent configurator: every call has a deadline and carries our
// data source name, so a full resync replaces only what vl3-nse configured.
import * as grpc from "@grpc/grpc-js";
import { DataplaneUnavailableError } from "../dataplane/types.js";
import {
  type Config,
  ConfiguratorServiceClient,
  type DeleteRequest,
  type UpdateRequest,
} from "../grpc/gen/ligato/configurator/configurator.js";
import { defaultTransport, type Transport } from "../grpc/transport.js";

/** The agent answered with an error other than "unreachable" (FAILED_PRECONDITION for a partial txn). */
export class AgentCallError extends Error {
  override name = "AgentCallError";
  constructor(
    readonly method: string,
    readonly code: grpc.status,
    readonly details: string,
  ) {
    super(`vpp-agent ${method}: ${grpc.status[code] ?? code}: ${details}`);
  }
}

export interface ConfiguratorClientOptions {
  callTimeoutMs: number;
  datasrc: string;
  /** How the agent is dialled; default plain text. */
  transport?: Transport;
}

// A local agent restarts quickly: reconnect sooner than grpc-js's default (1 s, up to 120 s).
const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  "grpc.initial_reconnect_backoff_ms": 100,
  "grpc.max_reconnect_backoff_ms": 2_000,
};

export class ConfiguratorClient {
  private readonly client: InstanceType<typeof ConfiguratorServiceClient>;

  constructor(
    readonly target: string,
    private readonly opts: ConfiguratorClientOptions,
  ) {
    this.client = (opts.transport ?? defaultTransport).client(ConfiguratorServiceClient, target, {
      channelOptions: CHANNEL_OPTIONS,
    });
  }

  /** Resolves with the agent's transaction number (`seqnum` header, v3.2+) when it sends one. */
  update(request: UpdateRequest): Promise<string | undefined> {
    return this.unary("Update", (md, opts, done) => this.client.update(request, md, opts, done));
  }

  delete(request: DeleteRequest): Promise<string | undefined> {
    return this.unary("Delete", (md, opts, done) => this.client.delete(request, md, opts, done));
  }

  async dump(): Promise<Config | undefined> {
    let config: Config | undefined;
    await this.unary("Dump", (md, opts, done) =>
      this.client.dump({}, md, opts, (err, res) => {
        config = res?.dump;
        done(err);
      }),
    );
    return config;
  }

  async get(): Promise<Config | undefined> {
    let config: Config | undefined;
    await this.unary("Get", (md, opts, done) =>
      this.client.get({}, md, opts, (err, res) => {
        config = res?.config;
        done(err);
      }),
    );
    return config;
  }

  /** The channel underneath (to watch the connection to the agent). */
  get channel(): grpc.Channel {
    return this.client.getChannel() as grpc.Channel;
  }

  close(): void {
    this.client.close();
  }

  private unary(
    method: string,
    call: (
      md: grpc.Metadata,
      opts: Partial<grpc.CallOptions>,
      done: (err: grpc.ServiceError | null) => void,
    ) => grpc.ClientUnaryCall,
  ): Promise<string | undefined> {
    const md = new grpc.Metadata();
    md.set("datasrc", this.opts.datasrc);
    const deadline = Date.now() + this.opts.callTimeoutMs;
    return new Promise((resolve, reject) => {
      let seqnum: string | undefined;
      const pending = call(md, { deadline }, (err) => {
        if (!err) return resolve(seqnum);
        reject(this.toError(method, err));
      });
      pending.on("metadata", (header) => {
        const value = header.get("seqnum")[0];
        if (value !== undefined) seqnum = String(value);
      });
    });
  }

  private toError(method: string, err: grpc.ServiceError): Error {
    // We never cancel a call ourselves: CANCELLED is the agent going away mid-call (its server cut
    // the connection), as unknown an outcome as a lost answer.
    const gone = err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.CANCELLED;
    if (gone || err.code === grpc.status.DEADLINE_EXCEEDED) {
      const what = gone ? "unreachable" : "did not answer in time";
      return new DataplaneUnavailableError(`vpp-agent at ${this.target} ${what} (${method}): ${err.details}`);
    }
    return new AgentCallError(method, err.code, err.details);
  }
}
