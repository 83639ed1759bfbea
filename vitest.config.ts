import { configDefaults, defineConfig } from "vitest/config";

// The chaos test runs 20 endpoint processes and 100 NSCs: it gets the machine to itself, after
// every other file (a later group), so that neither it nor the others judge heal times on cores
// the other is saturating.
const CHAOS = "test/integration/chaos/**/*.test.ts";

export default defineConfig({
  test: {
    environment: "node",
    // Child processes: gRPC servers, sockets and namespaces are torn down with the fork.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: "suite",
          include: ["test/**/*.test.ts", "src/**/*.test.ts"],
          exclude: [...configDefaults.exclude, CHAOS],
          sequence: { groupOrder: 0 },
        },
      },
      { extends: true, test: { name: "chaos", include: [CHAOS], sequence: { groupOrder: 1 } } },
    ],
  },
});
