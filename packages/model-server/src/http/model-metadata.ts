import type { ModelDescription } from "../model/model-registry.js";

/** The text form of a request: not the model's tensors, so it is described under parameters. */
const TEXT_INPUTS = [
  { name: "seq_0", datatype: "BYTES", shape: [-1], description: "questions, one per row" },
  { name: "seq_1", datatype: "BYTES", shape: [-1], description: "contexts, one per row" },
] as const;
const TEXT_OUTPUTS = [{ name: "answer", datatype: "BYTES", shape: [-1], description: "the answer span, one per row" }] as const;
const CLASSIFICATION_TEXT_INPUTS = [
  { name: "seq_0", datatype: "BYTES", shape: [-1], description: "texts to label, one per row" },
  { name: "seq_1", datatype: "BYTES", shape: [-1], description: "optional second texts: each row is then a pair" },
] as const;
const CLASSIFICATION_OUTPUTS = [
  { name: "logits", datatype: "FP32", shape: [-1, -1], description: "one logit per label, one row per text" },
  { name: "label", datatype: "BYTES", shape: [-1], description: "the most likely label, one per row" },
] as const;

/**
 * Open Inference Protocol model metadata in the form Triton reports for the same ONNX file: `inputs`
 * and `outputs` are the model's own tensors (INT64 token ids, FP32 logits, dynamic [batch, sequence]),
 * so a KServe or Triton client that builds requests from metadata sends tensors the model takes. The
 * text form (BYTES seq_0/seq_1 in, answer out), which this server tokenizes itself, is named under
 * `parameters.text_inputs` / `parameters.text_outputs`; the two are never mixed in one list.
 */
export function modelMetadata(model: ModelDescription) {
  return {
    name: model.name,
    versions: ["1"],
    platform: "onnxruntime_onnx",
    inputs: model.inputNames.map((name) => ({ name, datatype: "INT64", shape: [-1, -1] })),
    outputs: model.outputNames.map((name) => ({ name, datatype: "FP32", shape: [-1, -1] })),
    parameters: {
      max_sequence_length: model.maxSeqLength,
      // The provider the session really runs on (cpu after a CUDA fallback): load generators record it per server.
      ...(model.executionProvider ? { execution_provider: model.executionProvider } : {}),
      ...(model.precision ? { precision: model.precision } : {}),
      ...(model.task === "text-classification"
        ? { task: model.task, labels: model.labels ?? [], text_inputs: CLASSIFICATION_TEXT_INPUTS, text_outputs: CLASSIFICATION_OUTPUTS }
        : { text_inputs: TEXT_INPUTS, text_outputs: TEXT_OUTPUTS }),
    },
  };
}
