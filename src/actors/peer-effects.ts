// The real effects of a peer actor: the dial-side Request and monitor through NSM (PeerLinks), the
// link's programming through the data-plane queue, and peer up/down signals.
import { fromCallback, fromPromise } from "xstate";
import { linkItems } from "../dataplane/items.js";
import { interfaceName } from "../dataplane/names.js";
import type { DataplaneQueue } from "../dataplane/queue.js";
import type { Connection } from "../grpc/gen/networkservice/connection.js";
import type { Logger } from "../log.js";
import { type PeerEvent, type PeerRequestInput, peerMachine } from "../machines/peer.machine.js";
import { backoffDelay } from "../util/backoff.js";
import { linkSignal } from "./link-signal.js";
import type { LifecycleSignal } from "./observe.js";

/** What a link's monitor reports: it broke, or the peer asked for a refresh (REFRESH_REQUESTED). */
export interface PeerLinkWatcher {
  down(reason: string): void;
  refresh(): void;
}

/** How a dialling NSE reaches a peer: a Request, a monitor and a Close through the local nsmgr. */
export interface PeerLinks {
  /** `signal` aborts when the peer actor stops: a Request still waiting its turn is then never sent. */
  request(input: PeerRequestInput, signal?: AbortSignal): Promise<Connection>;
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

export function peerEffects(deps: PeerEffectsDeps) {
  const random = deps.random ?? Math.random;
  return peerMachine.provide({
    actors: {
      requestPeer: fromPromise(async ({ input, signal }: { input: PeerRequestInput; signal: AbortSignal }) =>
        deps.links.request(input, signal),
      ),
      programPeer: fromPromise(async ({ input }: { input: { name: string; link: Connection } }) => {
        const items = linkItems(input.link, interfaceName("peer", input.link.id), "client", [deps.pool()]);
        await deps.queue.set(peerOwner(input.name), items);
        deps.signal(linkSignal(peerOwner(input.name), "peer", input.link, true, { dialled: true }));
      }),
      monitorPeer: fromCallback<PeerEvent, { name: string; link: Connection }>(({ input, sendBack }) =>
        deps.links.monitor(input, {
          down: (reason) => sendBack({ type: "LINK_DOWN", reason }),
          refresh: () => sendBack({ type: "REFRESH_REQUESTED" }),
        }),
      ),
      closePeer: fromPromise(async ({ input }: { input: { name: string; link?: Connection } }) => {
        // Withdraw our routes first: traffic must not follow a link that is going away.
        await deps.queue.remove(peerOwner(input.name));
        deps.signal(linkSignal(peerOwner(input.name), "peer", input.link, false, { dialled: true }));
        await deps.links.close(input);
        await deps.closeServed?.(input.name);
      }),
    },
    actions: {
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
