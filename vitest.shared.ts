// Workspace packages export their TypeScript source under the "source" condition, so tests run the
// code as written, with no build step in between. No "module" condition: under it, @aws-sdk/* and
// @opentelemetry/api (loaded by Pulumi and prom-client) resolve to bundler-only builds Node cannot load.
export const sourceConditions = ["source", "node", "development|production"];
