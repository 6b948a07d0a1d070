// Stack files that `fleet recommend` writes (each candidate's, and the winner's): a template stack file with
// the search's fields set, under a header that marks it as generated. A file without the mark is the user's
// and is never written over: the new file takes the next free name instead.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { applyEnvOverrides, fromNamespacedConfig, parseFleetConfig, PROJECT, type FleetConfig } from "@inference-fleet/fleet-config";
import { parseDocument } from "yaml";
import { validateStackText } from "../tune/stack-patch.js";

/** The word in a generated file's header that lets a later run write over it. */
export const GENERATED_MARK = "fleet-recommend-generated";

/** A value to set in the stack file: a dotted path under the project's namespace (e.g. "model.source"), or "instanceType". */
export type StackEdits = Readonly<Record<string, unknown>>;

export function isGeneratedStackText(text: string): boolean {
  return text.includes(GENERATED_MARK);
}

export function stackFilePath(stacksDir: string, stack: string): string {
  return path.join(stacksDir, `Pulumi.${stack}.yaml`);
}

/** The template's YAML with `edits` applied and `header` (lines, the first carrying the mark) as its leading comment. */
export function renderGeneratedStack(templateText: string, edits: StackEdits, header: readonly string[]): string {
  const document = parseDocument(templateText);
  for (const [dotted, value] of Object.entries(edits)) {
    const [section, ...rest] = dotted.split(".");
    const at = ["config", `${PROJECT}:${section}`, ...rest];
    if (value === undefined) document.deleteIn(at);
    else document.setIn(at, value);
  }
  const lines = [
    `${header[0] ?? "Generated"} (${GENERATED_MARK}: \`fleet recommend\` may write over this file; remove this line to keep it)`,
    ...header.slice(1),
  ];
  document.commentBefore = lines.map((line) => (line ? ` ${line}` : "")).join("\n");
  return document.toString({ lineWidth: 0 });
}

/**
 * The config a stack file's text stands for, as `loadStackConfig` reads a file: namespaced keys, then FLEET_*
 * overrides from `env`, then the schema. Used for candidates not yet written (the local search writes none).
 */
export function configFromStackText(text: string, stack: string, env: NodeJS.ProcessEnv, origin: string): FleetConfig {
  const values = (parseDocument(text).toJS() as { config?: Record<string, unknown> } | null)?.config ?? {};
  return parseFleetConfig(applyEnvOverrides(fromNamespacedConfig(values, stack), env), origin);
}

/**
 * Writes a generated stack file as `stack`, or, when a file of that name is the user's, as `stack-2`, `stack-3`, ...;
 * checked first as every command reads it (schema, then `fleet plan`'s fit). Returns the name written.
 */
export function writeGeneratedStack(stacksDir: string, stack: string, text: string): string {
  for (let n = 1; n <= 20; n++) {
    const name = n === 1 ? stack : `${stack}-${n}`;
    const file = stackFilePath(stacksDir, name);
    if (existsSync(file) && !isGeneratedStackText(readFileSync(file, "utf8"))) continue;
    validateStackText(text, name, path.basename(file));
    writeFileSync(file, text);
    return name;
  }
  throw new Error(
    `stacks/Pulumi.${stack}.yaml and ${stack}-2 ... ${stack}-20 are all your own files (no "${GENERATED_MARK}" line): ` +
      "move some away, or mark one as generated, then run `fleet recommend` again.",
  );
}
