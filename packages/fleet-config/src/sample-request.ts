// The AWS sample's (aws-do-inference) default request: the model server answers it when a request
// gives no seq_0/seq_1, and the load generators send it. One copy, here, where both packages reach it
// (the k6 bundle included: this file has no imports).

/** The sample's question, used when a request gives no seq_0. */
export const DEFAULT_QUESTION = "What does the little engine say?";

/** The sample's context, used when a request gives no seq_1. */
export const DEFAULT_CONTEXT =
  "In the childrens story about the little engine a small locomotive is pulled up a tall mountain. The mountain is steep. " +
  "It is a hard job for the little engine. The little engine repeats: I think I can, I think I can.";
