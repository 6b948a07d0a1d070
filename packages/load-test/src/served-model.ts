import type { LoadTestResult, ServedModel } from "./results-schema.js";

/** One line for reports: "hf://org/name@main (commit 1a2b3c4d5e6f, question-answering, fp32, 4,369,666 parameters, sha256 9f86d081884c)". */
export function describeServedModel(model: ServedModel): string {
  const facts = [
    ...(model.commit ? [`commit ${model.commit.slice(0, 12)}`] : []),
    model.task,
    model.precision,
    ...(model.parameters !== undefined ? [`${model.parameters.toLocaleString("en-US")} parameters`] : []),
    ...(model.sha256 ? [`sha256 ${model.sha256.slice(0, 12)}`] : []),
  ];
  return `${model.source} (${facts.join(", ")})`;
}

/** The model of results merged from generators of one run: kept when they all name the same one, else dropped (it would be a guess). */
export function commonServedModel(results: readonly LoadTestResult[]): ServedModel | undefined {
  const first = results[0]?.model;
  if (!first) return undefined;
  const key = JSON.stringify(first);
  return results.every((r) => r.model && JSON.stringify(r.model) === key) ? first : undefined;
}
