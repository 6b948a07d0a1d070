import type { z } from "zod";

/** One rejected field: where it is, what was given, and what is allowed. */
export interface ConfigProblem {
  readonly path: string;
  readonly value: unknown;
  readonly message: string;
}

/** A config that failed validation; the message lists every problem, one per line. */
export class ConfigError extends Error {
  constructor(
    readonly origin: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(`Invalid fleet config (${origin}):\n${problems.map(formatProblem).join("\n")}`);
    this.name = "ConfigError";
  }
}

function formatProblem(problem: ConfigProblem): string {
  const given = problem.value === undefined ? "missing" : JSON.stringify(problem.value);
  return `  - ${problem.path || "(root)"}: ${problem.message} (got ${given})`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** zod's wording where a person would say it otherwise ("expected int, received number" for 1.5). */
export function plainMessage(issue: z.core.$ZodIssue): string {
  // zod 4 keeps no input on the issue; "received number" is how it says the value was a number, just not whole.
  if (issue.code === "invalid_type" && issue.expected === "int" && issue.message.endsWith("received number")) return "must be a whole number";
  return issue.message;
}

/** Turns zod issues into problems that name the dotted path and the offending value. */
export function problemsFromZod(error: z.ZodError, input: unknown): ConfigProblem[] {
  return error.issues.flatMap((issue): ConfigProblem[] => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        path: [...issue.path, key].join("."),
        value: valueAt(input, [...issue.path, key]),
        message: "is not a known setting (check the spelling against the README's config table)",
      }));
    }
    const value = "input" in issue && issue.input !== undefined ? issue.input : valueAt(input, issue.path);
    return [{ path: issue.path.join("."), value, message: plainMessage(issue) }];
  });
}
