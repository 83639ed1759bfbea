// Kubernetes Events on this pod for what an operator wants in `kubectl describe pod`: the prefix it
// claimed, peers coming and going, data-plane failures. Repeats are folded and the rate is capped,
// and recording never fails the caller: an Event is a courtesy, not part of the data path.
import * as k8s from "@kubernetes/client-node";
import type { LifecycleSignal, Observable } from "../actors/observe.js";
import { type Logger, silentLogger } from "../log.js";
import type { ApiCall } from "./api-calls.js";

export const EVENT_API_CALLS = [
  { group: "", resource: "events", verb: "create" },
] as const satisfies readonly ApiCall[];

export interface PodEvent {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

/** The Event a lifecycle signal deserves, if any (requests and transitions are metrics, not Events). */
export function eventForSignal(signal: LifecycleSignal): PodEvent | undefined {
  switch (signal.type) {
    case "prefix":
      return {
        type: "Normal",
        reason: "PrefixClaimed",
        message: `Claimed prefix ${signal.prefix} (${signal.source})`,
      };
    case "prefix-refused":
      return {
        type: "Warning",
        reason: "PrefixRefused",
        message: `Refused prefix ${signal.prefix} from ${signal.source}: ${signal.reason}; kept the one held`,
      };
    case "peer":
      return signal.up
        ? { type: "Normal", reason: "PeerUp", message: `Peer ${signal.name} is up` }
        : {
            type: "Warning",
            reason: "PeerDown",
            message: `Peer ${signal.name} is down${signal.reason ? `: ${signal.reason}` : ""}`,
          };
    case "dataplane":
      return signal.outcome === "error"
        ? {
            type: "Warning",
            reason: "DataplaneFailed",
            message: `The ${signal.backend} data plane failed a transaction of ${signal.items} items`,
          }
        : undefined;
    default:
      return undefined;
  }
}

export interface EventRecorderOptions {
  kubeConfig: k8s.KubeConfig;
  namespace: string;
  podName: string;
  /** The pod's UID (downward API metadata.uid); `kubectl describe pod` matches Events by it. */
  podUid?: string;
  nodeName?: string;
  log?: Logger;
  /** The same reason and message again within this window is counted, not sent (default 5 min). */
  repeatWindowMs?: number;
  /** At most this many Events a minute in all (default 30). */
  perMinute?: number;
  now?: () => number;
}

const MAX_MESSAGE = 1024;

export class EventRecorder {
  private readonly core: k8s.CoreV1Api;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly recent = new Map<string, { at: number; folded: number }>();
  private sentTimes: number[] = [];
  private seq = 0;

  constructor(private readonly o: EventRecorderOptions) {
    this.core = o.kubeConfig.makeApiClient(k8s.CoreV1Api);
    this.log = (o.log ?? silentLogger()).child({ component: "events" });
    this.now = o.now ?? Date.now;
  }

  /** Sends the Event unless it repeats or the rate is spent; resolves either way, never rejects. */
  async record(event: PodEvent): Promise<void> {
    const now = this.now();
    const key = `${event.type}/${event.reason}/${event.message}`;
    const last = this.recent.get(key);
    if (last && now - last.at < (this.o.repeatWindowMs ?? 300_000)) {
      last.folded++;
      return;
    }
    this.sentTimes = this.sentTimes.filter((t) => now - t < 60_000);
    if (this.sentTimes.length >= (this.o.perMinute ?? 30)) {
      this.log.debug({ reason: event.reason }, "event dropped: rate limit");
      return;
    }
    this.sentTimes.push(now);
    const count = (last?.folded ?? 0) + 1;
    this.recent.set(key, { at: now, folded: 0 });
    if (this.recent.size > 1000) this.recent.delete(this.recent.keys().next().value!);
    try {
      await this.core.createNamespacedEvent({
        namespace: this.o.namespace,
        body: this.build(event, now, count),
      });
    } catch (err) {
      this.log.warn(
        { err: (err as Error).message, reason: event.reason },
        "could not record a Kubernetes Event",
      );
    }
  }

  /** Records an Event for every signal that maps to one; returns the unsubscribe function. */
  attach(observable: Pick<Observable, "onSignal">): () => void {
    return observable.onSignal((signal) => {
      const event = eventForSignal(signal);
      if (event) void this.record(event);
    });
  }

  private build(event: PodEvent, now: number, count: number): k8s.CoreV1Event {
    const at = new Date(now);
    // client-go's naming: the object's name and a hex timestamp, unique per Event.
    const stamp = (BigInt(now) * 1_000_000n + BigInt(this.seq++ % 1_000_000)).toString(16);
    const message =
      event.message.length > MAX_MESSAGE ? `${event.message.slice(0, MAX_MESSAGE - 3)}...` : event.message;
    return {
      metadata: { name: `${this.o.podName}.${stamp}`, namespace: this.o.namespace },
      involvedObject: {
        apiVersion: "v1",
        kind: "Pod",
        name: this.o.podName,
        namespace: this.o.namespace,
        uid: this.o.podUid,
      },
      type: event.type,
      reason: event.reason,
      // Folded repeats are told in the message: count with equal timestamps would read "x3 over 0s".
      message: count > 1 ? `${message} (${count - 1} more since the last such Event)` : message,
      count: 1,
      firstTimestamp: at,
      lastTimestamp: at,
      source: { component: "vl3-nse", host: this.o.nodeName },
      reportingComponent: "vl3-nse",
      reportingInstance: this.o.podName,
    };
  }
}
