#!/usr/bin/env node
// The `fleet` CLI runs the workspace's TypeScript directly: tsx transpiles on load and the
// "source" condition makes workspace packages resolve to their src/ (no build step needed).
import { register } from "node:module";
import { register as registerTsx } from "tsx/esm/api";

register("./source-condition.js", import.meta.url);
registerTsx();
const { main } = await import("../src/cli.ts");
process.exitCode = await main(process.argv.slice(2));
