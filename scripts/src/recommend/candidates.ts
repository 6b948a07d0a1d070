// The candidates of a search: one stack per instance type (or family) and precision, each from one template
// (stacks/Pulumi.<family>-tuned.yaml, `fleet tune`'s last result for the type, else the shipped
// stacks/Pulumi.<family>.yaml: its server settings), with the model, SLO, rate and budget of this search set.
// A candidate that cannot run says why here, before anything is measured.
import { existsSync, readFileSync } from "node:fs";
import { ConfigError, getInstanceType, isKnownInstanceType, listStacks, planStack, type FleetConfig } from "@inference-fleet/fleet-config";
import type { Precision } from "@inference-fleet/model-zoo";
import { UsageError } from "../command.js";
import { configFromStackText, renderGeneratedStack, stackFilePath } from "./generated-stack.js";
import { catalogFamilies, type RecommendRequest } from "./request.js";

export interface Candidate {
  /** The stack name it is measured (and, on AWS, deployed) as, e.g. rec-c7g-int8. */
  readonly name: string;
  /** What a person reads: "c7g.4xlarge int8" (local: "this machine as c7i.xlarge, fp32"). */
  readonly label: string;
  readonly precision: Precision;
  /** The template stack the settings come from. */
  readonly template: string;
  /** The stack file's text, as written for AWS and as the winner is written. */
  readonly text: string;
  /** The config it runs with: the text with this run's FLEET_* overrides. */
  readonly config: FleetConfig;
}

export interface RefusedCandidate {
  readonly label: string;
  readonly reason: string;
}

export interface CandidateInputs {
  readonly request: RecommendRequest;
  readonly stacksDir: string;
  /** FLEET_* overrides of this run (the environment). */
  readonly env: NodeJS.ProcessEnv;
  /** model.name for the stacks (lower-case, dashes). */
  readonly modelName: string;
  /** model.source for a candidate: the hub id at its commit (fp32), or the int8 copy made for the candidate's CPU. */
  readonly modelSource: (precision: Precision, template: FleetConfig) => string;
  /** The command line, for the header. */
  readonly commandLine: string;
}

/** Dots are not allowed in stack names that name EKS clusters: c7g.2xlarge -> c7g-2xlarge. */
const slug = (text: string) => text.replace(/[^a-z0-9-]/gi, "-").toLowerCase();

/** The template stack of a family: fleet tune's last result for it when there is one, else the shipped stack. */
function templateOf(stacksDir: string, family: string): string | undefined {
  return [`${family}-tuned`, family].find((name) => existsSync(stackFilePath(stacksDir, name)));
}

interface Slot {
  readonly family: string;
  /** An exact type asked for; absent: the template's own. */
  readonly instanceType?: string;
  readonly precision: Precision;
}

/** The families a search covers when --types names none: every catalog family with a template stack (c7i, c7g, g5, inf2 as shipped). */
function supportedFamilies(stacksDir: string): string[] {
  const stacks = listStacks(stacksDir);
  return catalogFamilies().filter((family) => stacks.includes(family));
}

function slotsOf(request: RecommendRequest, stacksDir: string): Slot[] {
  const families = request.local ? ["dev"] : request.types.length > 0 ? request.types : supportedFamilies(stacksDir);
  return families.flatMap((entry) =>
    request.precisions.map((precision) => {
      if (request.local)
        return { family: "dev", precision, ...(request.types[0] && isKnownInstanceType(request.types[0]) ? { instanceType: request.types[0] } : {}) };
      return isKnownInstanceType(entry) ? { family: entry.split(".")[0]!, instanceType: entry, precision } : { family: entry, precision };
    }),
  );
}

/**
 * Servers for another size of the template's CPU family: servers per node scaled with the vCPUs (at least one), each
 * with the template's CPU and memory, as \`fleet tune\` splits a node among servers. Accelerator types keep the
 * template's layout (a server per device, whatever the vCPUs); undefined: as the template.
 */
function scaledServers(template: FleetConfig, instanceType: string): number | undefined {
  const from = getInstanceType(template.instanceType);
  const to = getInstanceType(instanceType);
  if (to.vcpu === from.vcpu || to.accelerator || from.accelerator) return undefined;
  const perNode = template.server.numServers / template.cluster.fleetNodes;
  return Math.max(1, Math.floor((perNode * to.vcpu) / from.vcpu)) * template.cluster.fleetNodes;
}

/** int8 here is dynamic quantization for CPU execution (MatMulInteger); GPU and Inferentia stacks serve fp32. */
function precisionProblem(instanceType: string, precision: Precision): string | undefined {
  const accelerator = getInstanceType(instanceType).accelerator;
  if (precision !== "int8" || !accelerator) return undefined;
  return `int8 models here are quantized for CPU execution, and ${instanceType} serves on its ${accelerator.model}: measure it at fp32 (--precision fp32).`;
}

/** The template a slot's candidate is made from, as read from its stack file. */
interface Template {
  readonly name: string;
  readonly text: string;
  readonly config: FleetConfig;
}

/** The candidate's stack file: the template's text with this search's model, SLO, rate and budget (and type and servers). */
function candidateText(inputs: CandidateInputs, slot: Slot, template: Template, { label, budget }: { label: string; budget?: number }): string {
  const { request } = inputs;
  const instanceType = slot.instanceType ?? template.config.instanceType;
  const servers = slot.instanceType ? scaledServers(template.config, slot.instanceType) : undefined;
  const edits = {
    ...(slot.instanceType ? { instanceType: slot.instanceType } : {}),
    ...(servers !== undefined ? { "server.numServers": servers } : {}),
    "model.name": inputs.modelName,
    "model.source": inputs.modelSource(slot.precision, { ...template.config, instanceType }),
    "model.precision": slot.precision,
    "model.generate": undefined,
    "loadTest.mode": "capacity",
    "loadTest.slo": request.slo,
    "loadTest.sizing.forRate": request.rate,
    ...(request.headroom !== undefined ? { "loadTest.sizing.headroom": request.headroom } : {}),
    ...(budget !== undefined ? { "loadTest.capacity.budget": budget } : {}),
  };
  const header = [
    `Generated by \`${inputs.commandLine}\`, ${new Date().toISOString()}`,
    `Candidate ${label}: server settings from stacks/Pulumi.${template.name}.yaml` +
      (servers !== undefined
        ? `, ${servers} servers for ${instanceType}'s vCPUs (the template's ${template.config.server.numServers} for ${template.config.instanceType}).`
        : "."),
  ];
  return renderGeneratedStack(template.text, edits, header);
}

/** The candidate's config with this run's overrides; a field that fails here fails every candidate, so it is the user's to fix once. */
function candidateConfig(text: string, name: string, inputs: CandidateInputs, label: string): FleetConfig {
  try {
    return configFromStackText(text, name, inputs.env, `the candidate ${label}`);
  } catch (error) {
    // The same fields go into every candidate: a bad --slo is the user's to fix, once.
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

/** One slot's candidate, or why it is refused: no template, a precision its accelerator does not serve, pods that do not fit. */
function candidateFor(inputs: CandidateInputs, slot: Slot, budget: number | undefined): { candidate: Candidate } | { refused: RefusedCandidate } {
  const { request, stacksDir } = inputs;
  const templateName = templateOf(stacksDir, slot.family);
  if (!templateName) {
    const reason =
      `no template stack for ${slot.family}: write stacks/Pulumi.${slot.family}.yaml (server settings for the family), ` +
      `or leave ${slot.family} out of --types.`;
    return { refused: { label: `${slot.instanceType ?? slot.family} ${slot.precision}`, reason } };
  }
  const templateText = readFileSync(stackFilePath(stacksDir, templateName), "utf8");
  const template = {
    name: templateName,
    text: templateText,
    config: configFromStackText(templateText, templateName, {}, `stacks/Pulumi.${templateName}.yaml`),
  };
  const instanceType = slot.instanceType ?? template.config.instanceType;
  const label = request.local ? `this machine as ${instanceType}, ${slot.precision}` : `${instanceType} ${slot.precision}`;
  const problem = precisionProblem(instanceType, slot.precision);
  if (problem) return { refused: { label, reason: problem } };
  const name = request.local ? `rec-local-${slot.precision}` : `rec-${slug(slot.instanceType ?? slot.family)}-${slot.precision}`;
  const text = candidateText(inputs, slot, template, { label, budget });
  const config = candidateConfig(text, name, inputs, label);
  const plan = planStack(config);
  if (!plan.fits) {
    const problems = plan.problems.map((p) => `${p.path}: ${p.message}`).join("; ");
    return { refused: { label, reason: `does not fit its nodes as stacks/Pulumi.${templateName}.yaml sets it up: ${problems}` } };
  }
  return { candidate: { name, label, precision: slot.precision, template: templateName, text, config } };
}

/** Every candidate of the request with its stack text and config, and those refused with the reason. */
export function buildCandidates(inputs: CandidateInputs): { candidates: Candidate[]; refused: RefusedCandidate[] } {
  const slots = slotsOf(inputs.request, inputs.stacksDir);
  const budget = inputs.request.budgetSeconds === undefined ? undefined : Math.floor(inputs.request.budgetSeconds / slots.length);
  const candidates: Candidate[] = [];
  const refused: RefusedCandidate[] = [];
  for (const slot of slots) {
    const outcome = candidateFor(inputs, slot, budget);
    if ("candidate" in outcome) candidates.push(outcome.candidate);
    else refused.push(outcome.refused);
  }
  return { candidates, refused };
}
