// A gRPC server that can be stopped and started again on the URL it first got, so that a restarted
// sandbox registry, proxy or prefix server keeps its port and its clients reconnect to it. The
// services are added afresh at each start (a grpc-js Server cannot be bound twice). Each start that
// binds says where it listens, in the one log line all four share.
import type * as grpc from "@grpc/grpc-js";
import type { Logger } from "../log.js";
import type { Transport } from "./transport.js";
import { grpcTarget } from "./url.js";

export type Services = Array<[grpc.ServiceDefinition, grpc.UntypedServiceImplementation]>;

export interface RestartableServer {
  /** Where it listens: the listen URL as asked at first, the bound port once started. */
  readonly url: string;
  readonly running: boolean;
  /** Binds (again); does nothing while running. */
  start(): Promise<void>;
  /** Stops at once (force): calls in flight end with an error, as a crash would end them. */
  stop(): Promise<void>;
}

/** Who is listening, for the log line of each start: `<name> listening` with its URL and `fields`. */
export interface Announce {
  log: Logger;
  name: string;
  fields?: Record<string, unknown>;
}

export function restartableServer(
  transport: Transport,
  listenOn: string,
  services: Services,
  announce?: Announce,
): RestartableServer {
  let url = listenOn;
  let server: grpc.Server | undefined;
  return {
    get url() {
      return url;
    },
    get running() {
      return server !== undefined;
    },
    async start() {
      if (server) return;
      const s = transport.server();
      for (const [definition, impl] of services) s.addService(definition, impl);
      url = grpcTarget(await transport.bind(s, url));
      server = s;
      announce?.log.info({ url, ...announce.fields }, `${announce.name} listening`);
    },
    async stop() {
      const s = server;
      server = undefined;
      if (s) await transport.shutdown(s, { force: true });
    },
  };
}

export interface ServeOptions<E extends object> {
  announce?: Announce;
  /** Told the URL after each start (the bound port when asked for port 0). */
  bound?: (url: string) => void;
  /** What the services hold beyond the server (clients, streams), let go after each stop. */
  release?: () => void;
  /** More members of the returned server (a proxy's own). */
  extra?: E;
}

/** A restartable server, started now: the shape both sandbox proxies serve through. */
export async function serveRestartable<E extends object = object>(
  transport: Transport,
  listenOn: string,
  services: Services,
  o: ServeOptions<E> = {},
): Promise<RestartableServer & E> {
  const server = restartableServer(transport, listenOn, services, o.announce);
  const start = async () => {
    await server.start();
    o.bound?.(server.url);
  };
  await start();
  return {
    ...(o.extra as E),
    get url() {
      return server.url;
    },
    get running() {
      return server.running;
    },
    start,
    async stop() {
      await server.stop();
      o.release?.();
    },
  };
}
