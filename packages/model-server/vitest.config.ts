import { defineProject } from "vitest/config";
import { sourceConditions } from "../../vitest.shared.js";

export default defineProject({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions } },
  // Tests start real servers and ONNX Runtime sessions: under a busy 2-core CI runner some took over vitest's 5 s
  // default, so the limit is generous; a test that hangs still fails.
  test: { name: "model-server", include: ["src/**/*.test.ts"], testTimeout: 30_000 },
});
