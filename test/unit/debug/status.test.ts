import { describe, expect, it } from "vitest";
import { formatStatus, relativeTime } from "../../../src/debug/status.js";
import { actor, sampleMesh } from "../../support/debug/fake-observable.js";

const NOW = new Date("2026-03-01T12:03:05.000Z");

describe("relativeTime", () => {
  it.each([
    ["2026-03-01T12:03:05.000Z", "0s"],
    ["2026-03-01T12:02:23.000Z", "42s"],
    ["2026-03-01T12:00:00.000Z", "3m05s"],
    ["2026-03-01T09:56:00.000Z", "2h07m"],
    ["2026-02-25T09:00:00.000Z", "4d03h"],
    ["2026-03-01T12:04:00.000Z", "0s"],
    ["not a date", "?"],
  ])("%s is %s before now", (since, expected) => {
    expect(relativeTime(since, NOW)).toBe(expected);
  });
});

describe("formatStatus", () => {
  const text = formatStatus(sampleMesh(), NOW);
  const lines = text.trimEnd().split("\n");

  it("has a header and one row per actor", () => {
    expect(lines[0]).toMatch(/^ACTOR\s+STATE\s+SINCE\s+SUBJECT\s+ADDRESSES\s+LAST ERROR$/);
    expect(lines).toHaveLength(1 + 1 + 3 + 4);
    expect(text.endsWith("\n")).toBe(true);
  });

  it("indents children under the endpoint with tree rails", () => {
    expect(lines[1]).toMatch(/^endpoint\s+serving\s+3m05s\s+name=nse-vl3-a/);
    expect(lines[2]).toMatch(/^├─ peer\/nse-vl3-b\s+up\s+3m05s/);
    expect(lines.at(-1)).toMatch(/^└─ connection\/nsc-4-7f3c\s+healing\.allocating/);
  });

  it("aligns columns", () => {
    const stateColumn = lines[0]!.indexOf("STATE");
    for (const line of lines.slice(1)) expect(line[stateColumn - 1]).toBe(" ");
    expect(lines[2]!.indexOf("up")).toBe(stateColumn);
    expect(lines[3]!.indexOf("requesting")).toBe(stateColumn);
  });

  it("shows addresses, the subject and the last error", () => {
    const nsc1 = lines.find((l) => l.includes("connection/nsc-1-7f3c"))!;
    expect(nsc1).toContain("172.16.1.2/32");
    expect(nsc1).toContain("networkService=vl3-service pod=app-1");
    expect(nsc1).not.toContain("connection=");
    const peerD = lines.find((l) => l.includes("peer/nse-vl3-d"))!;
    expect(peerD).toMatch(/UNAVAILABLE: connect ECONNREFUSED 198\.18\.0\.4:5002$/);
  });

  it("clips a long subject and keeps an error on one line", () => {
    const tree = actor({
      id: "endpoint",
      kind: "endpoint",
      state: "serving",
      subject: { name: "x".repeat(80) },
      lastError: "first line\n  second line",
    });
    const row = formatStatus(tree, NOW).split("\n")[1]!;
    expect(row).toContain(`name=${"x".repeat(42)}…`);
    expect(row).toMatch(/first line second line$/);
    expect(row).toContain("  -  ");
  });

  it("continues a rail for grandchildren of a child that has siblings", () => {
    const tree = actor({
      id: "endpoint",
      kind: "endpoint",
      state: "serving",
      children: [
        actor({
          id: "peer/b",
          kind: "peer",
          state: "up",
          children: [actor({ id: "connection/x", kind: "connection", state: "up" })],
        }),
        actor({
          id: "peer/c",
          kind: "peer",
          state: "up",
          children: [actor({ id: "connection/y", kind: "connection", state: "up" })],
        }),
      ],
    });
    const lines = formatStatus(tree, NOW).split("\n");
    const stateColumn = lines[0]!.indexOf("STATE");
    const ids = lines.slice(1, 6).map((l) => l.slice(0, stateColumn).trimEnd());
    expect(ids).toEqual(["endpoint", "├─ peer/b", "│  └─ connection/x", "└─ peer/c", "   └─ connection/y"]);
  });
});
