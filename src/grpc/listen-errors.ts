// Which errors of a bind are worth retrying. A start with a wrong address, a port someone else
// holds or no permission must end at once with the reason, not after a minute of retries; only
// what time alone can fix is retried, and a port in use only briefly (see kindOfListenError).

/** in-use: retried within a short window; transient: retried; permanent: reported at once. */
export type ListenErrorKind = "in-use" | "transient" | "permanent";

/** Errors that the next attempt may not see: a resolver hiccup, a moment without free descriptors. */
const TRANSIENT = new Set(["EAI_AGAIN", "EMFILE", "ENFILE", "ENOBUFS", "ENOMEM", "EINTR"]);

const PLAIN: Record<string, string> = {
  EADDRINUSE: "address in use",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EADDRNOTAVAIL: "address not available on this host",
  ENOTFOUND: "host name not found",
  ENOENT: "no such directory",
  ENOTDIR: "not a directory",
  ENAMETOOLONG: "socket path too long",
  EAFNOSUPPORT: "address family not supported",
};

/** The errno code in an error from grpc-js's bindAsync (it puts the listen errors in its message). */
export function listenErrorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e?.code === "string" && /^E[A-Z_]+$/.test(e.code)) return e.code;
  return /\b(E[A-Z]{2,}[A-Z_]*)\b/.exec(String(e?.message ?? err))?.[1];
}

/**
 * EADDRINUSE is transient only for a moment: a server restarted in the same process, or a pod
 * whose predecessor is still closing, finds its port held by the one going away. Anything not
 * known to pass with time (EACCES, EADDRNOTAVAIL, ENOENT, a name that does not resolve, ...) is
 * permanent, so that a misconfigured start ends quickly and says why.
 */
export function kindOfListenError(err: unknown): ListenErrorKind {
  const code = listenErrorCode(err);
  if (code === "EADDRINUSE") return "in-use";
  return code !== undefined && TRANSIENT.has(code) ? "transient" : "permanent";
}

/** "EADDRINUSE (address in use)", for the message that ends a failed start. */
export function describeListenError(err: unknown): string {
  const code = listenErrorCode(err);
  const plain = code ? PLAIN[code] : undefined;
  if (code && plain) return `${code} (${plain})`;
  const message = String((err as Error)?.message ?? err);
  return code ? `${code}: ${message}` : message;
}
