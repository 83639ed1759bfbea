import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "src/**/*.test.ts"],
    environment: "node",
    // Child processes: gRPC servers, sockets and namespaces are torn down with the fork.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
