// The real effects of a connection actor: IP context from the endpoint's IPAM, programming through
// the data-plane queue, monitor events. Given to the pure connection machine with `provide`.
import type { AnyActorRef } from "xstate";
import { RequestError } from "../chain/errors.js";
import { linkItems } from "../dataplane/items.js";
import { linkInterface } from "../dataplane/names.js";
import type { DataplaneQueue } from "../dataplane/queue.js";
import { type Connection, State } from "../grpc/gen/networkservice/connection.js";
import type { DNSConfig, DNSContext, IPContext } from "../grpc/gen/networkservice/connectioncontext.js";
import { PoolExhaustedError } from "../ipam/errors.js";
import {
  type AllocateInput,
  type ConnectionContext,
  type ConnectionEvent,
  type ConnectionKind,
  connectionMachine,
} from "../machines/connection.machine.js";
import type { ExpiryTimers } from "./expiry.js";
import { clientIpContext, peerIpContext, type Vl3Addressing } from "./ip-context.js";
import { linkSignal } from "./link-signal.js";
import type { ConnectionEvents } from "./monitor-events.js";
import type { LifecycleSignal } from "./observe.js";
import type { Vl3Mtu } from "./vl3mtu.js";

export interface ConnectionEffectsDeps {
  name: string;
  addressing(): Vl3Addressing;
  queue: DataplaneQueue;
  events: ConnectionEvents;
  expiry: ExpiryTimers;
  onIpamChange(): void;
  /** A peer's link (a served peer connection) came up or went away. */
  onLink(connection: Connection, up: boolean): void;
  /** The vL3 MTU (NSM's rule): requests are clamped to it; a lower answer lowers it. */
  mtu?: Vl3Mtu;
  /** The vL3 MTU went down to `mtu`: every connection but `except` is asked to refresh. */
  mtuLowered?(mtu: number, except: string): void;
  /** Lifecycle signals (a connection committed or gone). */
  signal?(signal: LifecycleSignal): void;
  /** This endpoint's DNS config for the answer (undefined while it serves no DNS). */
  dnsConfig?(answer: Connection, kind: ConnectionKind): DNSConfig | undefined;
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

/**
 * The answer's DNS context: the request's configs and ours after them, as NSM adds it. A config for
 * the same search domains (a healing NSC's, from the endpoint it had before) is ours to replace.
 */
export function withDnsConfig(
  requested: DNSContext | undefined,
  ours: DNSConfig | undefined,
): DNSContext | undefined {
  if (!ours) return requested;
  const kept = (requested?.configs ?? []).filter(
    (c) =>
      !(sameSet(c.dnsServerIps, ours.dnsServerIps) && sameSet(c.searchDomains, ours.searchDomains)) &&
      !(ours.searchDomains.length > 0 && sameSet(c.searchDomains, ours.searchDomains)),
  );
  return { configs: [...kept, ours] };
}

/** Builds the answer to a request: mechanism, IP context, state UP, our endpoint name. */
export function answerFor(input: AllocateInput, deps: ConnectionEffectsDeps): Connection {
  const { request, id, kind } = input;
  const a = deps.addressing();
  let ipContext: IPContext;
  try {
    ipContext =
      kind === "peer"
        ? peerIpContext(request.context?.ipContext, a)
        : clientIpContext(id, request.context?.ipContext, a);
  } catch (error) {
    if (error instanceof PoolExhaustedError) throw new RequestError("RESOURCE_EXHAUSTED", error.message);
    throw error;
  }
  deps.onIpamChange();
  // One copy of the request: the DNS config is asked with the answer as it stands (its context the
  // request's until the answer's replaces it).
  const answer: Connection = { ...request, networkServiceEndpointName: deps.name, state: State.UP };
  const ctx = request.context;
  answer.context = {
    ipContext,
    dnsContext: withDnsConfig(ctx?.dnsContext, deps.dnsConfig?.(answer, kind)),
    ethernetContext: ctx?.ethernetContext,
    extraContext: ctx?.extraContext ?? {},
    MTU: deps.mtu ? deps.mtu.clamp(ctx?.MTU ?? 0) : (ctx?.MTU ?? 0),
  };
  return answer;
}

/** A data-plane answer for an actor that may have been stopped meanwhile (the endpoint aborted). */
function answer(self: AnyActorRef, event: ConnectionEvent): void {
  if (self.getSnapshot().status === "active") self.send(event);
}

function announceDelete(deps: ConnectionEffectsDeps, kind: ConnectionKind, connection: Connection): void {
  deps.events.delete({ ...connection, state: State.DOWN });
  deps.signal?.(linkSignal(`connection/${connection.id}`, kind, connection, false));
  if (kind === "peer") deps.onLink(connection, false);
}

function releaseAddresses(deps: ConnectionEffectsDeps, id: string): void {
  if (deps.addressing().addresses.release(id)) deps.onIpamChange();
}

/**
 * What a connection actor that broke (one of its effects threw) leaves behind, withdrawn as closing
 * would have: expiry timer, data-plane items, addresses, and the DELETE for a connection announced up.
 */
export function withdrawBroken(deps: ConnectionEffectsDeps, context: ConnectionContext): Promise<void> {
  deps.expiry.disarm(context.id);
  releaseAddresses(deps, context.id);
  if (context.committed) announceDelete(deps, context.kind, context.committed);
  return deps.queue.remove(context.id);
}

export function connectionEffects(deps: ConnectionEffectsDeps) {
  return connectionMachine.provide({
    actions: {
      // IPAM is synchronous: the answer is queued for the actor as soon as this step is over.
      allocate: ({ self }, input) => {
        let result: ConnectionEvent;
        try {
          result = { type: "ALLOCATED", connection: answerFor(input, deps) };
        } catch (error) {
          result = { type: "ALLOCATION_FAILED", error };
        }
        self.send(result);
      },
      program: ({ self }, input) => {
        const pool = deps.addressing().pool.toString();
        const items = linkItems(input.connection, linkInterface(input.kind, input.id), "server", [pool]);
        deps.queue.set(input.id, items).then(
          () => answer(self, { type: "PROGRAMMED" }),
          (error) => answer(self, { type: "PROGRAMMING_FAILED", error }),
        );
      },
      unprogram: ({ self }, input) => {
        deps.queue.remove(input.id).then(
          () => answer(self, { type: "UNPROGRAMMED" }),
          (error) => answer(self, { type: "UNPROGRAMMING_FAILED", error }),
        );
      },
      notifyUpdate: ({ context }, params) => {
        // The committed connection itself when it already says UP: no copy held per connection.
        const state = params.refreshRequested ? State.REFRESH_REQUESTED : State.UP;
        deps.events.update(
          params.connection.state === state ? params.connection : { ...params.connection, state },
        );
        if (context.kind === "peer") deps.onLink(params.connection, true);
        deps.signal?.(linkSignal(`connection/${context.id}`, context.kind, params.connection, true));
        if (deps.mtu?.seen(params.connection.context?.MTU ?? 0))
          deps.mtuLowered?.(deps.mtu.current, context.id);
      },
      notifyDelete: ({ context }, params) => announceDelete(deps, context.kind, params.connection),
      armExpiry: ({ context, self }, params) => deps.expiry.arm(context.id, params.ms, self),
      disarmExpiry: ({ context }) => deps.expiry.disarm(context.id),
      releaseAddresses: (_, params) => releaseAddresses(deps, params.id),
    },
  });
}
