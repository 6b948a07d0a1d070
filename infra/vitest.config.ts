import { defineProject } from "vitest/config";
import { sourceConditions } from "../vitest.shared.js";

// Without "module": under it, @opentelemetry/api (loaded by @pulumi/pulumi) resolves to an ESM build
// whose extensionless imports Node cannot load.
const conditions = sourceConditions.filter((condition) => condition !== "module");

export default defineProject({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: { name: "infra", include: ["src/**/*.test.ts"] },
});
