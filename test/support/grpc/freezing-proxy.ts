// A loopback TCP proxy that can freeze: it stops carrying bytes either way while keeping both
// connections open, as a vanished host or a partition looks to the two ends (no FIN, no RST).
import { createServer, type Socket } from "node:net";

export interface FreezingProxy {
  port: number;
  /** From now on nothing passes, and nothing is closed. */
  freeze(): void;
  close(): Promise<void>;
}

export async function startFreezingProxy(targetPort: number): Promise<FreezingProxy> {
  const sockets = new Set<Socket>();
  let frozen = false;
  const server = createServer((inbound) => {
    const outbound = new (inbound.constructor as typeof Socket)();
    outbound.connect(targetPort, "127.0.0.1");
    for (const [from, to] of [
      [inbound, outbound],
      [outbound, inbound],
    ] as const) {
      sockets.add(from);
      from.on("data", (chunk) => {
        if (!frozen) to.write(chunk);
      });
      from.on("close", () => {
        if (!frozen) to.destroy();
      });
      from.on("error", () => {});
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    freeze: () => {
      frozen = true;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
