#!/usr/bin/env node
// The `fleet` CLI runs the workspace's TypeScript directly: tsx transpiles on load and the
// "source" condition makes workspace packages resolve to their src/ (no build step needed).
import { register } from "node:module";
import { register as registerTsx } from "tsx/esm/api";

register("./source-condition.js", import.meta.url);
registerTsx();
// malloc reads its settings only at start, so `fleet serve` without them (see MALLOC_TUNABLES) serves from a
// child that has them, before anything else is loaded here. Programs that call main() themselves serve in place.
const { hasMallocTunables, rerunWithMallocTunables } = await import("@inference-fleet/model-server/settings");
if (process.argv[2] === "serve" && !hasMallocTunables(process.env)) {
  process.exitCode = await rerunWithMallocTunables();
} else {
  const { main } = await import("../src/cli.ts");
  process.exitCode = await main(process.argv.slice(2));
}
