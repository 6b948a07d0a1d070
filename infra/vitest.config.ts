import { defineProject } from "vitest/config";
import { sourceConditions } from "../vitest.shared.js";

export default defineProject({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions } },
  // A test renders a whole Pulumi program under mocks: seconds of CPU, more on a busy 2-core CI runner (one timed
  // out at the 5 s default with a load average of 11), so the limit is generous; a hang still fails.
  test: { name: "infra", include: ["src/**/*.test.ts"], testTimeout: 30_000 },
});
