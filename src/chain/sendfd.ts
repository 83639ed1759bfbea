// NSM's sendfd server element: after the rest of the chain has answered, the chosen mechanism's
// `inodeURL` (a file:// URL of our network namespace, set by the mechanism element) becomes the
// inode:// URL of that object, and its descriptor is queued on the caller's connection, so it rides on
// the response. Over a connection that cannot carry descriptors (TCP) the file URL stays, as in NSM.
// Its pass-through twin is chosen in src/nse.ts where the addon is unavailable.
import type { Mechanism } from "../grpc/gen/networkservice/connection.js";
import { RequestError } from "./errors.js";
import type { Element } from "./types.js";

/** The mechanism parameter NSM's sendfd and recvfd look at (api common.InodeURL). */
export const INODE_URL = "inodeURL";

/**
 * Queues the file at `path` on the current call's connection and returns its inode:// URL; undefined
 * when that connection cannot carry descriptors. Throws when the file cannot be opened.
 */
export type SendFile = (path: string) => string | undefined;

/** The mechanism with a file:// inodeURL swapped for the inode URL of the file sent (pure but for `send`). */
export function sendMechanismFile(mechanism: Mechanism | undefined, send: SendFile): Mechanism | undefined {
  const url = mechanism?.parameters[INODE_URL];
  if (!mechanism || !url?.startsWith("file://")) return mechanism;
  const path = decodeURIComponent(url.slice("file://".length));
  let inode: string | undefined;
  try {
    inode = send(path);
  } catch (err) {
    throw new RequestError(
      "INTERNAL",
      `mechanism.parameters.${INODE_URL}: cannot send ${url}: ${(err as Error).message}`,
    );
  }
  return inode ? { ...mechanism, parameters: { ...mechanism.parameters, [INODE_URL]: inode } } : mechanism;
}

export function sendfd(send: SendFile): Element {
  return (next) => ({
    request: async (req, ctx) => {
      const conn = await next.request(req, ctx);
      return { ...conn, mechanism: sendMechanismFile(conn.mechanism, send) };
    },
    close: (conn, ctx) => next.close(conn, ctx),
  });
}

/** The twin where descriptors cannot be passed: the file URL goes out as it is. */
export const sendfdPassThrough: Element = (next) => next;
