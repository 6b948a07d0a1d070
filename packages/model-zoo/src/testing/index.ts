// Test helpers other packages reuse (imported as @inference-fleet/model-zoo/testing): the loopback hub and checkpoint builders.
export { FakeHub } from "./fake-hub.js";
export {
  buildBertCheckpoint,
  TINY_CASED_QA_REPO,
  TINY_UNCASED_CLASSIFIER_REPO,
  tinyCasedMultilingualQaCheckpoint,
  tinyUncasedClassifierCheckpoint,
  tinyUncasedQaCheckpoint,
  writeCheckpointFiles,
} from "./hf-checkpoint.js";
export type { CheckpointFiles } from "./hf-checkpoint.js";
export { buildHuggingFaceStyleBert } from "./hf-bert-export.js";
export { pytorchMissing, runPytorchReference } from "./pytorch-reference.js";
export type { ReferenceInputs } from "./pytorch-reference.js";
export { writeOptimumStyleExport } from "./optimum-export.js";
