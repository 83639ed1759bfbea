// Quotes a client's value for a status message or a log line, cut to QUOTE_MAX characters: a hostile
// client's 100,000-character name must not come back whole (it would overflow the caller's metadata
// limit and flood the logs). The length of what was cut is said, so the message stays useful.
export const QUOTE_MAX = 128;

export function quote(value: unknown): string {
  const s = String(value);
  if (s.length <= QUOTE_MAX) return JSON.stringify(s);
  return `${JSON.stringify(s.slice(0, QUOTE_MAX))}… (${s.length} characters)`;
}

/** The value cut to QUOTE_MAX characters, unquoted (for structured log fields). */
export function clip(value: string): string {
  return value.length <= QUOTE_MAX ? value : `${value.slice(0, QUOTE_MAX)}…`;
}
