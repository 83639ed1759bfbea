// A gRPC server that can be stopped and started again on the URL it first got, so that a restarted
// sandbox registry, proxy or prefix server keeps its port and its clients reconnect to it. The
// services are added afresh at each start (a grpc-js Server cannot be bound twice).
import type * as grpc from "@grpc/grpc-js";
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

export function restartableServer(
  transport: Transport,
  listenOn: string,
  services: Services,
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
    },
    async stop() {
      const s = server;
      server = undefined;
      if (s) await transport.shutdown(s, { force: true });
    },
  };
}
