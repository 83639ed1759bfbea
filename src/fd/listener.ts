// A unix-socket listener whose connections are FdSockets: accepted by the addon, so that descriptors
// the dialler sends arrive with its bytes. grpc-js gets each connection through its connection
// injector (src/grpc/fd-transport.ts). A stale socket file at the path is replaced.
import { mkdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import type { FdNative } from "./native.js";
import { FdSocket } from "./socket.js";

export interface FdListener {
  path: string;
  /** Stops accepting and removes the socket file; open connections stay (their owner ends them). */
  close(): void;
}

export function listenFdSocket(
  native: FdNative,
  path: string,
  onConnection: (socket: FdSocket) => void,
  onError: (err: Error) => void = () => {},
): FdListener {
  mkdirSync(dirname(path), { recursive: true });
  rmSync(path, { force: true });
  const fd = native.listen(path, 511);
  let closed = false;
  const poller = new native.Poller(fd, (_events, error) => {
    if (error) return onError(error);
    // Bounded: the rest waits for the next readiness event.
    for (let i = 0; i < 64 && !closed; i++) {
      let conn: number;
      try {
        conn = native.accept(fd);
      } catch (err) {
        return onError(err as Error); // EMFILE and the like: the next event tries again
      }
      if (conn < 0) return;
      onConnection(new FdSocket(conn, native));
    }
  });
  poller.start(1);
  return {
    path,
    close: () => {
      if (closed) return;
      closed = true;
      poller.close();
      native.close(fd);
      rmSync(path, { force: true });
    },
  };
}
