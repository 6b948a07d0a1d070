// The tuned settings as a stack file: stacks/Pulumi.<stack>-tuned.yaml is the shipped stack file with
// only the tuned server fields changed (every other line, comments included, as it was) under a
// header that names the changes, the machine and the figures. Being a whole stack file it is its own
// stack: `fleet local --compare dev,dev-tuned --capacity` measures both again, `pulumi up --stack
// dev-tuned` deploys it, and `diff` against the shipped file is the patch. (A file with only the
// changed keys would be listed by listStacks as a stack too, with defaults for every other field.)
// "-tuned", not ".tuned": the program names the EKS cluster and the CloudWatch dashboard after the
// stack, and neither accepts a dot.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fromNamespacedConfig, parseFleetConfig, planStack, PROJECT, type FleetConfig } from "@inference-fleet/fleet-config";
import { parseDocument } from "yaml";
import { fieldValues, TUNED_FIELDS, type TunedField, type TuneCandidate } from "./candidate.js";

export interface FieldChange {
  /** The config path under server, e.g. "maxBatch" or "resources.cpu". */
  readonly field: TunedField;
  readonly from: number | string | undefined;
  readonly to: number | string | undefined;
}

/** The tuned fields whose values differ between the shipped config and the candidate. */
export function changedFields(config: FleetConfig, shipped: TuneCandidate, tuned: TuneCandidate): FieldChange[] {
  const before = fieldValues(config, shipped);
  const after = fieldValues(config, tuned);
  return TUNED_FIELDS.filter((field) => String(before[field]) !== String(after[field])).map((field) => ({ field, from: before[field], to: after[field] }));
}

/** "server.maxBatch: 4 -> 8" (absent fields read "derived"). */
export function describeChange(change: FieldChange): string {
  const show = (value: number | string | undefined) => (value === undefined ? "derived" : String(value));
  return `server.${change.field}: ${show(change.from)} -> ${show(change.to)}`;
}

export function tunedStackName(stack: string): string {
  return `${stack}-tuned`;
}

export function tunedStackPath(stacksDir: string, stack: string): string {
  return path.join(stacksDir, `Pulumi.${tunedStackName(stack)}.yaml`);
}

/**
 * The tuned stack file's text: the shipped file's YAML with the changes applied to its
 * `inference-fleet:server` map and `header` (lines, without "#") as its leading comment.
 */
export function renderTunedStack(shippedText: string, changes: readonly FieldChange[], header: readonly string[]): string {
  const document = parseDocument(shippedText);
  const serverPath = ["config", `${PROJECT}:server`];
  if (!document.hasIn(serverPath)) document.setIn(serverPath, {});
  for (const change of changes) {
    const at = [...serverPath, ...change.field.split(".")];
    if (change.to === undefined) document.deleteIn(at);
    else document.setIn(at, change.to);
  }
  // The shipped file's own leading comment belongs to its first key and stays under the header.
  document.commentBefore = header.map((line) => (line ? ` ${line}` : "")).join("\n");
  return document.toString({ lineWidth: 0 });
}

/**
 * Checks a stack file's text the way every command reads it (schema, then `fleet plan`'s fit on its
 * nodes) and returns the config; throws with the problems otherwise.
 */
export function validateStackText(text: string, stack: string, origin: string): FleetConfig {
  const document = parseDocument(text);
  if (document.errors.length > 0) throw new Error(`${origin} is not valid YAML: ${document.errors[0]!.message}`);
  const values = (document.toJS() as { config?: Record<string, unknown> } | null)?.config ?? {};
  const config = parseFleetConfig(fromNamespacedConfig(values, stack), origin);
  const plan = planStack(config);
  if (!plan.fits) throw new Error(`${origin} does not fit its nodes: ${plan.problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`);
  return config;
}

/** Writes the tuned stack file after checking it; returns its path. */
export function writeTunedStack(stacksDir: string, stack: string, changes: readonly FieldChange[], header: readonly string[]): string {
  const shippedFile = path.join(stacksDir, `Pulumi.${stack}.yaml`);
  if (!existsSync(shippedFile)) throw new Error(`No stack file ${shippedFile} to patch.`);
  const text = renderTunedStack(readFileSync(shippedFile, "utf8"), changes, header);
  const file = tunedStackPath(stacksDir, stack);
  validateStackText(text, tunedStackName(stack), path.basename(file));
  writeFileSync(file, text);
  return file;
}
