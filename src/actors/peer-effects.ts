// The real effects of a peer actor: the dial-side Request and monitor through NSM (PeerLinks), the
// link's programming through the data-plane queue, and peer up/down signals. Each effect is an action
// answered by an event (no actor per step); an answer nobody waits for any more is dropped here.
import type { AnyActorRef } from "xstate";
import { linkItems } from "../dataplane/items.js";
import { interfaceName } from "../dataplane/names.js";
import type { DataplaneQueue } from "../dataplane/queue.js";
import type { Connection } from "../grpc/gen/networkservice/connection.js";
import type { Logger } from "../log.js";
import { type PeerEvent, type PeerRequestInput, peerMachine } from "../machines/peer.machine.js";
import { backoffDelay } from "../util/backoff.js";
import type { Abandonable } from "../util/request-window.js";
import { linkSignal } from "./link-signal.js";
import type { LifecycleSignal } from "./observe.js";

/** What a link's monitor reports: it broke, or the peer asked for a refresh (REFRESH_REQUESTED). */
export interface PeerLinkWatcher {
  down(reason: string): void;
  refresh(): void;
}

/** How a dialling NSE reaches a peer: a Request, a monitor and a Close through the local nsmgr. */
export interface PeerLinks {
  /** `signal` says when the peer actor no longer waits (it left the state, or stopped): a Request still
   * waiting its turn is then never sent. */
  request(input: PeerRequestInput, signal?: Abandonable): Promise<Connection>;
  /** Watches the link: `down` once when it breaks, `refresh` when the peer asks. Returns a stop function. */
  monitor(input: { name: string; link: Connection }, watcher: PeerLinkWatcher): () => void;
  close(input: { name: string; link?: Connection }): Promise<void>;
}

/** Without an nsmgr there is nobody to dial. */
export const noPeerLinks: PeerLinks = {
  request: async () => {
    throw new Error("no nsmgr configured (NSM_CONNECT_TO): cannot dial peers");
  },
  monitor: () => () => {},
  close: async () => {},
};

export const peerOwner = (name: string) => `peer/${name}`;

export interface PeerEffectsDeps {
  links: PeerLinks;
  queue: DataplaneQueue;
  pool(): string;
  signal(signal: LifecycleSignal): void;
  /** Closes the links this peer dialled to us: once it is gone, nobody would close or refresh them. */
  closeServed?(name: string): Promise<void>;
  random?: () => number;
  log?: Logger;
}

/**
 * The one effect of a peer actor in flight (a Request, a programming or a Close): its answer reaches
 * the actor only while the actor still waits for it, as XState does for an invoked actor's output.
 */
class Effect implements Abandonable {
  abandoned = false;
  constructor(private readonly self: AnyActorRef) {}

  get aborted(): boolean {
    return this.abandoned || this.self.getSnapshot().status !== "active";
  }

  /** Runs `work` and answers with `ok` or with `failed(error)` (also when `work` throws at once). */
  run<T>(work: () => Promise<T>, ok: (value: T) => PeerEvent, failed: (error: unknown) => PeerEvent): void {
    let promise: Promise<T>;
    try {
      promise = work();
    } catch (error) {
      promise = Promise.reject(error);
    }
    promise.then(
      (value) => this.answer(ok(value)),
      (error) => this.answer(failed(error)),
    );
  }

  private answer(event: PeerEvent): void {
    if (!this.aborted) this.self.send(event);
  }
}

/** What a watched link's monitor reports, to its actor while it runs. Methods on the prototype: no
 * closures per link. */
class LinkWatch implements PeerLinkWatcher {
  constructor(private readonly self: AnyActorRef) {}

  down(reason: string): void {
    if (this.self.getSnapshot().status === "active") this.self.send({ type: "LINK_DOWN", reason });
  }

  refresh(): void {
    if (this.self.getSnapshot().status === "active") this.self.send({ type: "REFRESH_REQUESTED" });
  }
}

export function peerEffects(deps: PeerEffectsDeps) {
  const random = deps.random ?? Math.random;
  /** By actor: the effect in flight, and the stop of the link's watch. */
  const inFlight = new WeakMap<AnyActorRef, Effect>();
  const watches = new WeakMap<AnyActorRef, () => void>();
  // A stopped actor runs no exit actions (XState stops it where it stands, as an endpoint's abort does):
  // its link's watch must go with it, or the monitor keeps it until the link reports something.
  const releasing = new WeakSet<AnyActorRef>();
  const releaseWhenStopped = (self: AnyActorRef) => {
    if (releasing.has(self)) return;
    releasing.add(self);
    const release = () => {
      watches.get(self)?.();
      watches.delete(self);
    };
    self.subscribe({ complete: release, error: release });
  };
  const begin = (self: AnyActorRef) => {
    const effect = new Effect(self);
    inFlight.set(self, effect);
    return effect;
  };
  const program = async (input: { name: string; link: Connection }) => {
    const items = linkItems(input.link, interfaceName("peer", input.link.id), "client", [deps.pool()]);
    await deps.queue.set(peerOwner(input.name), items);
    deps.signal(linkSignal(peerOwner(input.name), "peer", input.link, true, { dialled: true }));
  };
  const close = async (input: { name: string; link?: Connection }) => {
    // Withdraw our routes first: traffic must not follow a link that is going away.
    await deps.queue.remove(peerOwner(input.name));
    deps.signal(linkSignal(peerOwner(input.name), "peer", input.link, false, { dialled: true }));
    await deps.links.close(input);
    await deps.closeServed?.(input.name);
  };
  return peerMachine.provide({
    actions: {
      request: ({ self }, input) => {
        const effect = begin(self);
        effect.run(
          () => deps.links.request(input, effect),
          (link) => ({ type: "REQUESTED", link }),
          (error) => ({ type: "REQUEST_FAILED", error }),
        );
      },
      program: ({ self }, input) =>
        begin(self).run(
          () => program(input),
          () => ({ type: "PROGRAMMED" }),
          (error) => ({ type: "PROGRAMMING_FAILED", error }),
        ),
      close: ({ self }, input) =>
        begin(self).run(
          () => close(input),
          () => ({ type: "CLOSED" }),
          (error) => ({ type: "CLOSE_FAILED", error }),
        ),
      abandon: ({ self }) => {
        const effect = inFlight.get(self);
        if (effect) effect.abandoned = true;
        inFlight.delete(self);
      },
      watch: ({ self }, input) => {
        releaseWhenStopped(self);
        watches.get(self)?.();
        watches.set(self, deps.links.monitor(input, new LinkWatch(self)));
      },
      unwatch: ({ self }) => {
        watches.get(self)?.();
        watches.delete(self);
      },
      signalUp: (_, params) => deps.signal({ type: "peer", name: params.name, up: true }),
      signalDown: (_, params) => {
        deps.signal({ type: "peer", name: params.name, up: false, reason: params.reason });
        deps.signal(linkSignal(peerOwner(params.name), "peer", undefined, false, { dialled: true }));
      },
      // The queue keeps the newest desired state per owner: a re-programmed link after this wins, and
      // a failed removal is retried by the queue itself (and reported in its signals).
      withdraw: (_, params) =>
        void deps.queue
          .remove(peerOwner(params.name))
          .catch((err) =>
            deps.log?.debug({ err, peer: params.name }, "peer link removal failed; the queue retries"),
          ),
    },
    delays: {
      // Jittered, so that peers that lost the same NSE do not all redial at the same instant.
      backoff: ({ context }) =>
        backoffDelay(Math.max(0, context.attempt - 1), { ...context.backoff, random }),
    },
  });
}
