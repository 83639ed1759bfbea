// Noticing that the vpp-agent came back. Over gRPC (no etcd) an agent that restarts has lost all
// configuration, and its client must replay it; a connection that drops and comes back is the only
// sign we get, so every such return counts as a possible restart (a full resync is idempotent).
import * as grpc from "@grpc/grpc-js";

const { READY, IDLE, SHUTDOWN } = grpc.connectivityState;

/**
 * Calls `onReturn` each time `channel` is READY again after it had been READY and lost the
 * connection. While the connection is lost it keeps dialling (grpc-js would wait idle for the next
 * call), so that a returning agent is noticed even when nothing is being configured.
 */
export function watchReturns(channel: grpc.Channel, onReturn: () => void): () => void {
  let stopped = false;
  let wasReady = false;
  let lost = false;
  const watch = (current: grpc.connectivityState) => {
    channel.watchConnectivityState(current, Number.POSITIVE_INFINITY, () => {
      if (stopped) return;
      const now = channel.getConnectivityState(false);
      if (now === SHUTDOWN) return;
      if (now === READY) {
        wasReady = true;
        if (lost) {
          lost = false;
          onReturn();
        }
      } else if (wasReady) {
        lost = true;
        if (now === IDLE) channel.getConnectivityState(true);
      }
      watch(now);
    });
  };
  watch(channel.getConnectivityState(false));
  return () => {
    stopped = true;
  };
}
