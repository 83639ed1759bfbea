// Chooses the local mechanism for a link among the client's preferences, as far as the data plane
// supports it, and fills in the NSE-side parameters: the interface name the forwarder creates, and, as
// NSM's kernel and memif servers do, `inodeURL` = the file of the network namespace the link ends in
// (the sendfd element turns it into an inode URL and passes the descriptor).
import type { Mechanism } from "../grpc/gen/networkservice/connection.js";
import type { NetworkServiceRequest } from "../grpc/gen/networkservice/networkservice.js";
import { quote } from "../util/quote.js";
import { invalidArgument } from "./errors.js";
import type { CallContext, Element } from "./types.js";

export type MechanismType = "KERNEL" | "MEMIF";

/** This process's network namespace as NSM names it (Node's main thread is the process's). */
export const OWN_NETNS_FILE = "/proc/thread-self/ns/net";
export const OWN_NETNS_URL = `file://${OWN_NETNS_FILE}`;

export function selectMechanism(
  req: NetworkServiceRequest,
  supported: MechanismType[],
  ifName: string,
  netnsUrl = OWN_NETNS_URL,
): Mechanism {
  const current = req.connection?.mechanism;
  const candidates = current?.type ? [current] : req.mechanismPreferences;
  if (candidates.length === 0) {
    // NSM always sends preferences; a bare test client gets the data plane's first choice.
    return withParameters(
      { cls: "LOCAL", type: supported[0]!, parameters: {} },
      ifName,
      netnsUrl,
      req.connection?.id,
    );
  }
  const chosen = candidates.find((m) => (supported as string[]).includes(m.type));
  if (!chosen) {
    const field = current?.type ? "connection.mechanism.type" : "mechanism_preferences";
    // At most a few offers, each quoted at most 128 characters: the message stays short.
    const shown = candidates.slice(0, 4).map((m) => (m.type ? quote(m.type) : "(empty)"));
    const offered = [...shown, ...(candidates.length > 4 ? [`${candidates.length - 4} more`] : [])].join(
      ", ",
    );
    throw invalidArgument(field, `none of [${offered}] is supported (supported: ${supported.join(", ")})`);
  }
  if (chosen.cls && chosen.cls !== "LOCAL" && chosen.cls !== "REMOTE") {
    throw invalidArgument("mechanism_preferences.cls", `${quote(chosen.cls)} is not LOCAL or REMOTE`);
  }
  return withParameters(chosen, ifName, netnsUrl, req.connection?.id);
}

/** NSM's VPP endpoints name a link's memif socket so: abstract (no file), in the endpoint's namespace. */
export function memifSocketName(connectionId: string): string {
  return `@/tmp/memif/${connectionId}/memif.socket`;
}

function withParameters(m: Mechanism, ifName: string, netnsUrl: string, connectionId = ifName): Mechanism {
  // Whatever arrived (the client's own namespace, in transit) is replaced by ours, as NSM does.
  const parameters: Record<string, string> = { ...m.parameters, inodeURL: netnsUrl };
  // The NSC's own interface name, if it chose one, is kept; the NSE side is named after the connection.
  if (m.type === "KERNEL" && !parameters.name) parameters.name = ifName;
  if (m.type === "MEMIF" && !parameters.socketfile) parameters.socketfile = memifSocketName(connectionId);
  return { cls: m.cls || "LOCAL", type: m.type, parameters };
}

/** The chain element: fixes the connection's mechanism before the endpoint sees it. */
export function mechanisms(
  supported: MechanismType[],
  ifName: (id: string, ctx: CallContext) => string,
  netnsUrl = OWN_NETNS_URL,
): Element {
  return (next) => ({
    request: (req, ctx) => {
      const mechanism = selectMechanism(req, supported, ifName(req.connection!.id, ctx), netnsUrl);
      return next.request({ ...req, connection: { ...req.connection!, mechanism } }, ctx);
    },
    close: (conn, ctx) => next.close(conn, ctx),
  });
}
