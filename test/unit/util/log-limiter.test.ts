// LogLimiter: a burst per key and window is logged, the rest summed up in one line at the window's end.
import { describe, expect, it } from "vitest";
import { LogLimiter } from "../../../src/util/log-limiter.js";

function world() {
  let now = 0;
  const timers: Array<{ at: number; fn: () => void }> = [];
  const lines: string[] = [];
  const limiter = new LogLimiter((key, n, ms) => lines.push(`${key}: ${n} more in ${ms} ms`), {
    burst: 3,
    windowMs: 1000,
    now: () => now,
    schedule: (fn, ms) => timers.push({ at: now + ms, fn }),
  });
  const advance = (ms: number) => {
    now += ms;
    for (const t of timers.splice(0)) {
      if (t.at <= now) t.fn();
      else timers.push(t);
    }
  };
  return { limiter, lines, advance };
}

describe("LogLimiter", () => {
  it("logs the burst, counts the rest, and says how many at the window's end", () => {
    const w = world();
    for (let i = 0; i < 1000; i++) w.limiter.log("Request:INVALID_ARGUMENT", () => w.lines.push(`line ${i}`));
    expect(w.lines).toEqual(["line 0", "line 1", "line 2"]);
    w.advance(1000);
    expect(w.lines.slice(3)).toEqual(["Request:INVALID_ARGUMENT: 997 more in 1000 ms"]);
  });

  it("keeps keys apart and starts afresh after a window", () => {
    const w = world();
    for (let i = 0; i < 4; i++) w.limiter.log("a", () => w.lines.push(`a${i}`));
    w.limiter.log("b", () => w.lines.push("b0"));
    w.advance(1500);
    w.limiter.log("a", () => w.lines.push("a-again"));
    expect(w.lines).toEqual(["a0", "a1", "a2", "b0", "a: 1 more in 1000 ms", "a-again"]);
  });

  it("writes no summary when nothing was held back", () => {
    const w = world();
    w.limiter.log("a", () => w.lines.push("a0"));
    w.advance(5000);
    expect(w.lines).toEqual(["a0"]);
  });
});
