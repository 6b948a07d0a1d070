// Workspace packages export their TypeScript source under the "source" condition,
// so tests run the code as written, with no build step in between.
export const sourceConditions = ["source", "module", "node", "development|production"];
