import { defineProject } from "vitest/config";
import { sourceConditions } from "../vitest.shared.js";

// Without "module": under it @aws-sdk/* resolves to its bundler-only dist-es build, which Node cannot load.
const conditions = sourceConditions.filter((condition) => condition !== "module");

export default defineProject({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: { name: "scripts", include: ["src/**/*.test.ts"] },
});
