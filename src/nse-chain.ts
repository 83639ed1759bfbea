// The NetworkService element chain of one vl3-nse, in its one order: trace and measure, limits and
// validation, our path segment, tokens stamped and checked before anything trusts the path (owner,
// peer mark), the mechanism, descriptor passing, and the endpoint last. nse.ts builds the parts.
import type { Endpoint } from "./actors/endpoint.js";
import { authorize } from "./chain/authorize.js";
import { endpointHandler } from "./chain/endpoint.js";
import { limits } from "./chain/limits.js";
import { measure } from "./chain/measure.js";
import { mechanisms, OWN_NETNS_FILE } from "./chain/mechanism.js";
import { owner } from "./chain/owner.js";
import { peerRequests } from "./chain/peer.js";
import { sendfd, sendfdPassThrough } from "./chain/sendfd.js";
import { type CallSpans, traced } from "./chain/trace.js";
import { chain, type NetworkServiceHandler } from "./chain/types.js";
import { updatepath } from "./chain/updatepath.js";
import { updatetoken } from "./chain/updatetoken.js";
import { validate } from "./chain/validate.js";
import type { Config } from "./config/config.js";
import { linkInterface } from "./dataplane/names.js";
import { fileUrl } from "./fd/inode-url.js";
import { type FdCarrier, sendFileOnCurrentConnection } from "./grpc/fd-transport.js";
import { identityOf, type Mesh } from "./mesh.js";
import { MECHANISMS, nsmPeerCheck } from "./parts.js";
import type { IdentitySource } from "./security/identity.js";
import type { PathSecurity } from "./security/path-security.js";
import { peerAllowance } from "./security/peer-allowance.js";

export interface ChainParts {
  config: Config;
  endpoint: Endpoint;
  /** The data plane's network namespace file (the mechanism's inode URL); default our own. */
  netnsFile?: string;
  /** Spans of every call, with tracing on. */
  spans?: CallSpans;
  /** Path tokens, when on. */
  security?: PathSecurity;
  identity?: IdentitySource;
  /** Descriptor passing, when on. */
  carrier?: FdCarrier;
  /** The mesh, once started (after the chain is built). */
  mesh: () => Mesh | undefined;
}

export function endpointChain(p: ChainParts): NetworkServiceHandler {
  const { config, endpoint, security } = p;
  return chain(
    [
      ...(p.spans ? [traced(p.spans)] : []),
      measure((s) => endpoint.signal(s)),
      limits(),
      validate(config.serviceNames),
      updatepath({ name: config.name, maxTokenLifetimeMs: config.maxTokenLifetimeMs }),
      // Tokens are stamped, then checked, before anything trusts the path (owner, peer mark).
      ...(security
        ? [
            updatetoken({ generate: security.generate, maxTokenLifetimeMs: config.maxTokenLifetimeMs }),
            authorize({ verifier: security.verifier, keys: security.keys }),
          ]
        : []),
      owner({ name: config.name }),
      peerRequests({
        self: identityOf(config),
        isPeer: (name, service) => p.mesh()?.isPeer(name, service) ?? false,
        registrantOf: (name) => p.mesh()?.registrantOf(name),
        nsmPeer: nsmPeerCheck(config, endpoint, p.mesh),
        allowedPeer: security && peerAllowance(config.peerSpiffeIds, () => p.identity?.current()?.spiffeId),
      }),
      mechanisms(
        MECHANISMS[config.dataplane],
        (id, ctx) => linkInterface(ctx.peerOf ? "peer" : "client", id),
        fileUrl(p.netnsFile ?? OWN_NETNS_FILE),
      ),
      p.carrier ? sendfd(sendFileOnCurrentConnection(p.carrier.native, p.carrier.log)) : sendfdPassThrough,
    ],
    endpointHandler(endpoint),
  );
}
