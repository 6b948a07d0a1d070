/** The AWS sample's (aws-do-inference) question, used when a request gives no seq_0. */
export const DEFAULT_QUESTION = "What does the little engine say?";

/** The AWS sample's context, used when a request gives no seq_1. */
export const DEFAULT_CONTEXT =
  "In the childrens story about the little engine a small locomotive is pulled up a tall mountain. The mountain is steep. It is a hard job for the little engine. The little engine repeats: I think I can, I think I can.";
