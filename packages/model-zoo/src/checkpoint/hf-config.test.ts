import { describe, expect, it } from "vitest";
import { parseCheckpointConfig } from "./hf-config.js";

const bert = {
  architectures: ["BertForQuestionAnswering"],
  model_type: "bert",
  hidden_size: 64,
  num_attention_heads: 4,
  num_hidden_layers: 2,
  intermediate_size: 128,
  vocab_size: 1000,
  max_position_embeddings: 256,
  type_vocab_size: 3,
  layer_norm_eps: 1e-5,
  hidden_act: "gelu",
};

describe("parseCheckpointConfig", () => {
  it("reads transformers' config.json into the graph builder's architecture", () => {
    expect(parseCheckpointConfig(bert, "config.json")).toEqual({
      architectureName: "BertForQuestionAnswering",
      task: "question-answering",
      architecture: {
        layers: 2,
        hiddenSize: 64,
        heads: 4,
        intermediateSize: 128,
        vocabSize: 1000,
        maxPositions: 256,
        typeVocabSize: 3,
        layerNormEpsilon: 1e-5,
        initializerRange: 0.02,
      },
    });
  });

  it("a classifier: id2label, or LABEL_i from num_labels, and its problem_type", () => {
    const labelled = { ...bert, architectures: ["BertForSequenceClassification"], id2label: { 0: "neg", 1: "neu", 2: "pos" } };
    expect(parseCheckpointConfig(labelled, "c")).toMatchObject({
      task: "text-classification",
      id2label: { 0: "neg", 1: "neu", 2: "pos" },
      problemType: "single_label_classification",
    });
    const counted = { ...bert, architectures: ["BertForSequenceClassification"], num_labels: 2, problem_type: "multi_label_classification" };
    expect(parseCheckpointConfig(counted, "c")).toMatchObject({ id2label: { 0: "LABEL_0", 1: "LABEL_1" }, problemType: "multi_label_classification" });
  });

  it.each([
    [
      { architectures: ["RobertaForQuestionAnswering"], model_type: "roberta" },
      /RobertaForQuestionAnswering.*only BertForQuestionAnswering and BertForSequenceClassification/,
    ],
    [{ architectures: ["BertForMaskedLM"] }, /BertForMaskedLM/],
    [{ hidden_act: "gelu_new" }, /hidden_act "gelu_new" is not supported; only gelu/],
    [{ position_embedding_type: "relative_key" }, /position_embedding_type "relative_key" is not supported/],
    [{ num_attention_heads: 5 }, /hidden_size 64 is not a multiple of num_attention_heads 5/],
    [{ vocab_size: "many" }, /vocab_size must be a positive integer/],
  ])("refuses %j naming the field", (change, message) => {
    expect(() => parseCheckpointConfig({ ...bert, ...change }, "org/x: config.json")).toThrow(message);
  });
});
