// The sandbox without descriptors (SandboxOptions.descriptors false): endpoints register their own
// addresses with the registry, the nsmgrs dial them by those and the NSCs' namespaces go by name, as on
// a node whose nsmgr cannot take descriptors. The default (with them) is what every other mesh test runs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, expectClientsServed, expectFullMesh, Mesh } from "./helpers.js";

describe("a vL3 mesh in the sandbox without descriptors", () => {
  let mesh: Mesh;

  beforeAll(async () => {
    mesh = await Mesh.start({ descriptors: false });
    await Promise.all([
      mesh.startEndpoint("nse-a", 0),
      mesh.startEndpoint("nse-b", 1),
      mesh.startEndpoint("nse-c", 0),
    ]);
    for (let i = 1; i <= 3; i++) await mesh.sb.startClient(`nsc-${i}`, { node: i % 2 });
  });

  afterAll(() => mesh?.stop());

  it("registers each endpoint at its own address, not a passed descriptor's", () => {
    const urls = mesh.sb.registry
      .entries()
      .filter((e) => e.name.startsWith("nse-"))
      .map((e) => e.url);
    expect(urls).toHaveLength(3);
    for (const url of urls) expect(url).not.toMatch(/^inode:|\/proc\/\d+\/fd\//);
  });

  it("forms the full mesh and serves every NSC", async () => {
    await eventually(() => expectFullMesh(mesh), 15_000);
    await eventually(() => expectClientsServed(mesh), 10_000);
  });
});
