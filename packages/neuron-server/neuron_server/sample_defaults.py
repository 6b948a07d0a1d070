"""The AWS sample's (aws-do-inference) question and context, used when a request gives none
(the same text as packages/model-server/src/sample-defaults.ts)."""

DEFAULT_QUESTION = "What does the little engine say?"
DEFAULT_CONTEXT = (
    "In the childrens story about the little engine a small locomotive is pulled up a tall mountain. The mountain is "
    "steep. It is a hard job for the little engine. The little engine repeats: I think I can, I think I can."
)
