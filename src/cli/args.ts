// A small argument parser: `command --flag value --switch`, with clear errors (exit code 2).
export class UsageError extends Error {
  override name = "UsageError";
}

export interface Parsed {
  command?: string;
  flags: Map<string, string | true>;
}

export function parseArgs(argv: string[], known: Record<string, "value" | "switch">): Parsed {
  const flags = new Map<string, string | true>();
  let command: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "-h") {
      flags.set("help", true);
      continue;
    }
    if (!arg.startsWith("--")) {
      if (command) throw new UsageError(`unexpected argument "${arg}"`);
      command = arg;
      continue;
    }
    const [name, inline] = arg.slice(2).split("=", 2) as [string, string | undefined];
    const kind = known[name];
    if (!kind) throw new UsageError(`unknown option --${name}`);
    if (kind === "switch") {
      flags.set(name, true);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || value.startsWith("--")) throw new UsageError(`--${name} needs a value`);
    flags.set(name, value);
  }
  return { command, flags };
}

export function intFlag(
  flags: Parsed["flags"],
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = flags.get(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}`);
  return n;
}
