import { defineProject } from "vitest/config";
import { sourceConditions } from "../../vitest.shared.js";

export default defineProject({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions } },
  // pytest runs as one child process inside one test, so the timeouts cover the whole Python suite.
  test: { name: "neuron-server", include: ["src/**/*.test.ts"], testTimeout: 180_000, hookTimeout: 60_000 },
});
