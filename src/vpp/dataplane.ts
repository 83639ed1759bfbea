// The vpp-agent back end: our keyed items become memif interfaces and routes in the agent's
// configurator (ligato v3 gRPC). The agent applies a request best effort and never reverts it, so a
// partly failed transaction is compensated here.
import {
  type Dataplane,
  DataplaneUnavailableError,
  type Item,
  type Transaction,
} from "../dataplane/types.js";
import type { ConfigData } from "../grpc/gen/ligato/vpp/vpp.js";
import type { Transport } from "../grpc/transport.js";
import { type GrpcUrl, grpcTarget, toGrpcUrl } from "../grpc/url.js";
import { type Logger, silentLogger } from "../log.js";
import { AgentCallError, ConfiguratorClient } from "./client.js";
import { interfaceKey, routeKey } from "./keys.js";
import { fromVppConfig, type MappingOptions } from "./mapping.js";
import { Mirror } from "./mirror.js";
import { type AgentValues, agentValues, type Plan, planTransaction } from "./plan.js";
import { watchReturns } from "./reconnect.js";

export interface VppAgentDataplaneOptions {
  /** The agent's configurator; default "localhost:9111". */
  target?: GrpcUrl | string;
  /** Directory of memif sockets for links whose mechanism names none; default "/var/lib/vl3-nse/memif". */
  memifSocketDir?: string;
  /** Our data source name (gRPC metadata `datasrc`); default "vl3-nse". */
  datasrc?: string;
  /** Deadline of each agent call; default 10 s. */
  callTimeoutMs?: number;
  log?: Logger;
  /** How the agent is dialled; default plain text. */
  transport?: Transport;
}

export class VppAgentDataplane implements Dataplane {
  readonly name = "vpp";
  private readonly client: ConfiguratorClient;
  private readonly mapping: MappingOptions;
  private readonly mirror = new Mirror();
  private readonly log: Logger;
  private readonly resetListeners = new Set<() => void>();
  private unwatch?: () => void;

  constructor(opts: VppAgentDataplaneOptions = {}) {
    const target = grpcTarget(toGrpcUrl(opts.target ?? "localhost:9111"));
    this.client = new ConfiguratorClient(target, {
      callTimeoutMs: opts.callTimeoutMs ?? 10_000,
      datasrc: opts.datasrc ?? "vl3-nse",
      transport: opts.transport,
    });
    this.mapping = { memifSocketDir: opts.memifSocketDir ?? "/var/lib/vl3-nse/memif" };
    this.log = (opts.log ?? silentLogger()).child({ component: "vpp-agent", target });
  }

  async apply(txn: Transaction): Promise<void> {
    const plan = planTransaction(this.mirror, txn, this.mapping);
    try {
      if (plan.del.size > 0) await this.client.delete({ delete: toConfig(plan.del), waitDone: false });
      if (plan.put.size > 0) {
        const seqnum = await this.client.update({
          update: toConfig(plan.put),
          fullResync: false,
          waitDone: false,
        });
        this.log.debug({ seqnum, put: plan.put.size, del: plan.del.size }, "transaction applied");
      }
    } catch (err) {
      plan.revertMirror();
      // Unreachable: the agent's state of this txn is unknown; the queue retries it (both calls are idempotent).
      if (!(err instanceof AgentCallError)) throw err;
      throw await this.compensate(plan, err);
    }
  }

  async resync(desired: Item[]): Promise<void> {
    this.mirror.reset(desired);
    const values = agentValues(desired, this.mapping);
    await this.client.update({ update: toConfig(values), fullResync: true, waitDone: false });
    this.log.info({ items: desired.length, values: values.size }, "resynced");
  }

  async dump(): Promise<Item[]> {
    const config = await this.client.dump();
    return fromVppConfig(config?.vppConfig, this.mapping, (name) => this.mirror.interface(name));
  }

  /** A dropped connection to the agent came back: it may have restarted and lost our configuration. */
  onReset(listener: () => void): () => void {
    this.resetListeners.add(listener);
    this.unwatch ??= watchReturns(this.client.channel, () => {
      this.log.info("vpp-agent connection is back; it may have lost our configuration");
      for (const l of this.resetListeners) l();
    });
    return () => this.resetListeners.delete(listener);
  }

  async close(): Promise<void> {
    this.unwatch?.();
    this.client.close();
  }

  /**
   * After a failed call the agent may hold part of the txn (best effort, no revert): read back what is in
   * VPP, delete every value the txn created and re-put what it replaced or deleted. Returns the error to throw.
   */
  private async compensate(plan: Plan, cause: AgentCallError): Promise<Error> {
    try {
      const inVpp = keysOf((await this.client.dump())?.vppConfig);
      const applied = plan.undo.del.keys().filter((k) => inVpp.has(k));
      const restored = plan.undo.put.keys();
      this.log.warn({ err: cause, applied, restored }, "transaction failed in the agent; compensating");
      // Failed values stay in the agent's desired config too, so every new key is deleted, not only applied ones.
      if (plan.undo.del.size > 0)
        await this.client.delete({ delete: toConfig(plan.undo.del), waitDone: false });
      if (plan.undo.put.size > 0) {
        await this.client.update({ update: toConfig(plan.undo.put), fullResync: false, waitDone: false });
      }
      return new Error(
        `vpp-agent rejected the transaction (${cause.details}); compensated: removed ${applied.length} value(s) it had created, restored ${restored.length} it replaced or deleted`,
        { cause },
      );
    } catch (err) {
      this.log.error({ err, cause }, "compensation failed; a resync is needed");
      const message = `vpp-agent rejected the transaction (${cause.details}) and compensation failed: ${(err as Error).message}`;
      if (err instanceof DataplaneUnavailableError) return new DataplaneUnavailableError(message, { cause });
      return new Error(message, { cause });
    }
  }
}

function toConfig(values: AgentValues): { vppConfig: ConfigData } {
  return { vppConfig: values.config() };
}

function keysOf(config: ConfigData | undefined): Set<string> {
  const keys = new Set<string>();
  for (const i of config?.interfaces ?? []) keys.add(interfaceKey(i));
  for (const r of config?.routes ?? []) keys.add(routeKey(r));
  return keys;
}
