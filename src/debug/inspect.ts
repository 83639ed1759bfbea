// The Stately inspector bridge (NSM_INSPECT=true, development only): an HTTP+WebSocket server on
// `port` whose page iframes stately.ai/inspect, fed by a WebSocket inspector in this process.
// @statelyai/inspect is loaded with import() so nothing of it (or of ws) loads when inspection is off.
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { createServer, type Socket } from "node:net";
import type { InspectionEvent } from "xstate";
import type { Logger } from "../log.js";

export interface InspectorOptions {
  /** A fixed port: the bridge page hard-codes ws://localhost:<port>, so 0 can't work. */
  port: number;
  log: Logger;
}

export interface Inspector {
  /** Pass as createActor(machine, { inspect }). A no-op once stopped. */
  inspect: (event: InspectionEvent) => void;
  /** What the person opens (through a port-forward for a pod). */
  url: string;
  /** Close the inspector's socket, the bridge and every browser connection to it. */
  stop(): Promise<void>;
}

/** The WebSocket inside @statelyai/inspect's adapter (isomorphic-ws, i.e. `ws` in Node). */
interface AdapterSocket {
  readyState: number;
  onerror: ((event: unknown) => void) | null;
  once(event: "close", listener: () => void): void;
}

const CLOSED = 3;
const STOP_WAIT_MS = 2000;

export async function startInspector(options: InspectorOptions): Promise<Inspector> {
  const { port, log } = options;
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`inspector port ${port} is not 1-65535`);
  // The bridge's HTTP server has no 'error' listener, so a taken port would crash the process.
  await assertPortFree(port);

  // ws v8 leaves upgraded sockets open when its server closes, and a connected browser would then
  // keep this process alive: remember every socket accepted on the bridge's port to end them.
  const accepted = new Set<Socket>();
  const onSocket = (message: unknown) => {
    const socket = (message as { socket: Socket }).socket;
    if (socket.localPort !== port) return;
    accepted.add(socket);
    socket.once("close", () => accepted.delete(socket));
  };
  subscribe("net.server.socket", onSocket);

  const { createInspectorServer } = await import("@statelyai/inspect/server");
  const { createWebSocketInspector } = await import("@statelyai/inspect");
  const bridge = createInspectorServer({ port, autoOpen: false });
  const client = createWebSocketInspector({ url: `ws://localhost:${port}` });
  const url = `http://localhost:${port}`;
  log.info({ url }, "Stately inspector bridge listening; open it in a browser with internet access");

  let stopped = false;
  return {
    url,
    inspect: (event) => {
      if (!stopped) client.inspect.next?.(event);
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      const socket = (client.adapter as unknown as { ws?: AdapterSocket }).ws;
      // Closing a socket that is still connecting fires 'error', and the adapter answers errors with
      // an un-unref'd 5 s timer that reconnects, forever once the bridge is gone. Swallow that one.
      if (socket) socket.onerror = () => {};
      const closed = socket && socket.readyState !== CLOSED ? onceClosed(socket) : Promise.resolve();
      client.stop();
      await closed;
      bridge.stop();
      for (const s of accepted) s.destroy();
      unsubscribe("net.server.socket", onSocket);
      log.info("Stately inspector stopped");
    },
  };
}

function onceClosed(socket: AdapterSocket): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, STOP_WAIT_MS);
    timer.unref();
    socket.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Bind the port the way the bridge will (all interfaces) and let go, or fail with a clear message. */
function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `inspector port ${port} is not available (${err.code ?? err.message}); set NSM_INSPECT_PORT`,
        ),
      ),
    );
    probe.listen(port, () => probe.close(() => resolve()));
  });
}
