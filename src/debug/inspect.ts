// The Stately inspector bridge (NSM_INSPECT=true, development only): an HTTP+WebSocket server on
// `port` whose page iframes stately.ai/inspect. Inspection events are turned into Stately's messages
// in this process and relayed to every browser; a browser that connects later is first sent every
// live actor's registration and current snapshot, so every machine can be drawn whatever came before
// (the stock bridge replays only its last 200 messages). @statelyai/inspect and ws are loaded with
// import() so nothing of them loads when inspection is off.
import { createServer } from "node:http";
import type { InspectionEvent } from "xstate";
import type { Logger } from "../log.js";
import { bridgePage, LiveActors } from "./inspect-live.js";

export interface InspectorOptions {
  /** A fixed port: the bridge page connects to ws://localhost:<port>, so 0 can't work. */
  port: number;
  log: Logger;
}

export interface Inspector {
  /** Pass as createActor(machine, { inspect }). A no-op once stopped. */
  inspect: (event: InspectionEvent) => void;
  /** What the person opens (through a port-forward for a pod). */
  url: string;
  /** Actors live now, as a browser connecting now is sent them (for tests and /debug). */
  live(): number;
  /** Close the bridge and every browser connection to it. */
  stop(): Promise<void>;
}

export async function startInspector(options: InspectorOptions): Promise<Inspector> {
  const { port, log } = options;
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`inspector port ${port} is not 1-65535`);
  const { createInspector } = await import("@statelyai/inspect");
  const { WebSocketServer, WebSocket } = await import("ws");

  const page = bridgePage(port);
  const http = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
    res.end(page);
  });
  await new Promise<void>((resolve, reject) => {
    http.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `inspector port ${port} is not available (${err.code ?? err.message}); set NSM_INSPECT_PORT`,
        ),
      ),
    );
    http.listen(port, () => resolve());
  });
  http.on("error", (err) => log.warn({ err }, "inspector bridge error"));
  const wss = new WebSocketServer({ server: http });
  const live = new LiveActors();
  wss.on("connection", (socket) => {
    for (const message of live.replay()) socket.send(message);
  });

  const inspector = createInspector({
    send: (event) => {
      const message = live.note(event as never);
      for (const client of wss.clients) if (client.readyState === WebSocket.OPEN) client.send(message);
    },
  });
  const url = `http://localhost:${port}`;
  log.info({ url }, "Stately inspector bridge listening; open it in a browser with internet access");

  let stopped = false;
  return {
    url,
    inspect: (event) => {
      if (!stopped) inspector.inspect.next?.(event);
    },
    live: () => live.size,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      for (const client of wss.clients) client.terminate();
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      wss.close();
      http.closeAllConnections();
      await closed;
      log.info("Stately inspector stopped");
    },
  };
}
