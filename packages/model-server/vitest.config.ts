import { defineProject } from "vitest/config";
import { sourceConditions } from "../../vitest.shared.js";

// Without "module": prom-client requires @opentelemetry/api, whose "module" build has extensionless
// ESM imports that Node cannot load; the default (CommonJS) build works.
const conditions = sourceConditions.filter((condition) => condition !== "module");

export default defineProject({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: { name: "model-server", include: ["src/**/*.test.ts"] },
});
