import type { Command } from "../command.js";
import { configCheck } from "./config-check.js";
import { load } from "./load.js";
import { local } from "./local.js";
import { merge } from "./merge.js";
import { report } from "./report.js";
import { matrix } from "./matrix.js";
import { modelGenerate } from "./model-generate.js";
import { modelConvert } from "./model-convert.js";
import { modelCompare } from "./model-compare.js";
import { modelGenerateMany } from "./model-generate-many.js";
import { modelImport } from "./model-import.js";
import { modelQuantize } from "./model-quantize.js";
import { plan } from "./plan.js";
import { recommend } from "./recommend.js";
import { serve } from "./serve.js";
import { tune } from "./tune.js";

// Each command lives in its own file in this folder; add it to this list to expose it.
export const commands: Command[] = [
  configCheck,
  plan,
  recommend,
  modelGenerate,
  modelGenerateMany,
  modelImport,
  modelQuantize,
  modelCompare,
  modelConvert,
  matrix,
  local,
  tune,
  load,
  merge,
  report,
  serve,
];
