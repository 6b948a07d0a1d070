import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { repositoryModelNames, type FleetConfig } from "@inference-fleet/fleet-config";
import { modelPrecision } from "@inference-fleet/model-server/settings";
import { parseS3Uri } from "./iam-documents.js";

/** The files a model dir must have (the model contract in DESIGN.md). */
export const MODEL_DIR_FILES = ["model.onnx", "tokenizer.json"] as const;
/**
 * Uploaded too when present: model.json (a user's optimum export has none; the servers read it when it is there) and
 * model.ort (`fleet model convert`), which repository servers load in place.
 */
export const OPTIONAL_MODEL_DIR_FILES = ["model.json", "model.ort"] as const;

/** Where the servers get the model: uploaded from a local dir to our bucket, an existing S3 prefix, or https. */
export type ModelSourcePlan =
  | {
      readonly kind: "upload";
      readonly localDir: string;
      readonly prefix: string;
      /** Repository mode: the model subdirectories of localDir, each uploaded under prefix/<name>/. */
      readonly models?: readonly string[];
    }
  | { readonly kind: "s3"; readonly bucket: string; readonly prefix: string }
  | { readonly kind: "https"; readonly url: string };

export function planModelSource(config: FleetConfig, repoRoot: string): ModelSourcePlan {
  const { source, name } = config.model;
  if (source.startsWith("s3://")) return { kind: "s3", ...parseS3Uri(source) };
  if (source.startsWith("https://")) return { kind: "https", url: source };
  const localDir = path.resolve(repoRoot, source);
  if (config.model.repository)
    return { kind: "upload", localDir, prefix: `models/${name}-repository/`, models: repositoryModelNames(config.model.repository.count) };
  return { kind: "upload", localDir, prefix: `models/${name}/` };
}

/**
 * Checks a local model dir before `pulumi up` uploads it, so a missing model fails at once with
 * what to do instead of halfway through a deployment.
 */
export function assertModelDirReady(plan: ModelSourcePlan, exists: (file: string) => boolean = existsSync): void {
  if (plan.kind !== "upload") return;
  if (plan.models) {
    const incomplete = plan.models.filter((model) => MODEL_DIR_FILES.some((file) => !exists(path.join(plan.localDir, model, file))));
    if (incomplete.length > 0) {
      throw new Error(
        `The model repository ${plan.localDir} lacks ${incomplete.length} of its ${plan.models.length} models (first: ${incomplete[0]}): build it with \`npx ` +
          `fleet model generate-many --count ${plan.models.length} --out ${path.relative(process.cwd(), plan.localDir) || plan.localDir}\` (or \`npx fleet ` +
          `local\` with this stack, which generates it), or set model.source to an s3:// prefix holding the models.`,
      );
    }
    return;
  }
  const missing = MODEL_DIR_FILES.filter((file) => !exists(path.join(plan.localDir, file)));
  if (missing.length > 0) {
    throw new Error(
      `The model dir ${plan.localDir} lacks ${missing.join(", ")}: build it with \`npx fleet model generate --size <size> --seed <seed> --out ` +
        `${path.relative(process.cwd(), plan.localDir) || plan.localDir}\` (the sizes and seeds of model.generate in the stack file), or set model.source to ` +
        `an s3:// or https:// model dir.`,
    );
  }
}

/**
 * Checks that the model dir about to be uploaded has the stack's model.precision (model.json says so),
 * so an fp32 model is never measured and priced as the int8 one the stack names (or the reverse).
 */
export function assertModelPrecision(
  plan: ModelSourcePlan,
  precision: string,
  readFile: (file: string) => string = (file) => readFileSync(file, "utf8"),
): void {
  if (plan.kind !== "upload") return;
  const dir = plan.models ? path.join(plan.localDir, plan.models[0]!) : plan.localDir;
  let found: string;
  try {
    found = modelPrecision(JSON.parse(readFile(path.join(dir, "model.json"))) as Record<string, unknown>);
  } catch {
    return; // A missing or unreadable model.json is assertModelDirReady's to report.
  }
  if (found !== precision) {
    throw new Error(
      `The model in ${dir} is ${found}, but the stack asks for model.precision ${precision}: ` +
        `point model.source at a ${precision} model dir (\`npx fleet model generate --precision ${precision} ...\` or \`npx fleet model quantize --dir ` +
        `${dir}\`).`,
    );
  }
}
