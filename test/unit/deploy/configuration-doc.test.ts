import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { SETTINGS } from "../../../src/config/config.js";

const doc = readFileSync(resolve(import.meta.dirname, "../../../docs/configuration.md"), "utf8");

/** Rows of the settings table: `| \`NAME\` | default | live | meaning |`. */
const rows = new Map(
  [...doc.matchAll(/^\| `([A-Z_]+)` \| (.*?) \| (yes|no) \| (.+) \|$/gm)].map((m) => [
    m[1]!,
    { default: m[2]!, live: m[3]!, doc: m[4]! },
  ]),
);

describe("docs/configuration.md", () => {
  it("lists every setting with its default and whether it is live", () => {
    for (const s of SETTINGS) {
      const row = rows.get(s.env);
      expect(row, `a row for ${s.env}`).toBeDefined();
      // NSM_NAME's default is per machine; the table writes the host name as <hostname>.
      const shown = s.default === "" ? "(empty)" : `\`${s.default.replace(hostname(), "<hostname>")}\``;
      expect(row!.default, s.env).toBe(shown);
      expect(row!.live, s.env).toBe(s.live ? "yes" : "no");
    }
  });

  it("lists nothing that is not a setting", () => {
    const known = new Set(SETTINGS.map((s) => s.env));
    expect([...rows.keys()].filter((name) => !known.has(name))).toEqual([]);
  });
});
