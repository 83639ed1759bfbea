// What a vl3-nse sends as NSM's client-side sendfd elements do: its network namespace to the nsmgr
// (peer links ask for KERNEL or MEMIF with `inodeURL` = that namespace) and its listening socket to the
// registry it registers with (the NSE's url becomes the socket's inode URL, so the nsmgr dials the
// descriptor it received, not a path it may not see). Only over unix targets the FdCarrier handles.
import { fileUrl, unixPath } from "../fd/inode-url.js";
import type { FdCarrier } from "./fd-transport.js";
import type { GrpcUrl } from "./url.js";

export interface EndpointOffers {
  /** The `inodeURL` of peer-link preferences. */
  netnsUrl: string;
  /** The url to register for the listen URL `url` (its inode URL when the socket is offered). */
  registeredUrl(url: string): string;
  withdraw(): void;
}

export function endpointOffers(
  carrier: FdCarrier | undefined,
  o: { netnsFile: string; connectTo?: GrpcUrl; registry?: GrpcUrl },
): EndpointOffers {
  const withdrawals: Array<() => void> = [];
  let netnsUrl = fileUrl(o.netnsFile);
  if (carrier && o.connectTo?.kind === "unix") {
    const offered = carrier.offerFile(o.connectTo, o.netnsFile);
    netnsUrl = offered.url;
    withdrawals.push(offered.withdraw);
  }
  return {
    netnsUrl,
    registeredUrl: (url) => {
      const path = unixPath(url);
      if (!carrier || !path || o.registry?.kind !== "unix") return url;
      const offered = carrier.offerFile(o.registry, path);
      withdrawals.push(offered.withdraw);
      return offered.url;
    },
    withdraw: () => {
      for (const w of withdrawals.splice(0)) w();
    },
  };
}
