import { createHash } from "node:crypto";
import { createReadStream, existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { repositoryModelNames, type FleetConfig } from "@inference-fleet/fleet-config";
import type { ServedModel } from "@inference-fleet/load-test";
import { MODEL_FILE, MODEL_INFO_FILE, readExportedModelDir } from "@inference-fleet/model-zoo";

async function sha256Of(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * What results.json records about the model a run served (`modelSource` is what ensureModel returned): the stack's
 * source, the hub commit, the sha256 of model.onnx, task, precision and parameters from model.json, or read from the
 * ONNX graph of an export without one. A remote source is recorded as the stack names it.
 */
export async function describeModelServed(config: FleetConfig, modelSource: string): Promise<ServedModel> {
  const { source, task, precision } = config.model;
  const dir = config.model.repository ? path.join(modelSource, repositoryModelNames(config.model.repository.count)[0]!) : modelSource;
  if (/^(s3|https):\/\//.test(modelSource) || !existsSync(path.join(dir, MODEL_FILE))) return { source, task, precision };
  const sha256 = await sha256Of(path.join(dir, MODEL_FILE));
  const infoPath = path.join(dir, MODEL_INFO_FILE);
  if (!existsSync(infoPath)) {
    const exported = readExportedModelDir(dir);
    return { source, sha256, task: exported.task, precision, parameters: exported.parameters };
  }
  const info = JSON.parse(readFileSync(infoPath, "utf8")) as Record<string, unknown>;
  const text = (key: string) => (typeof info[key] === "string" ? (info[key] as string) : undefined);
  const parameters = info["parameters"];
  return {
    source,
    ...(text("commit") ? { commit: text("commit") } : {}),
    sha256,
    ...(text("name") ? { name: text("name") } : {}),
    task: text("task") ?? task,
    precision: text("precision") ?? precision,
    ...(Number.isInteger(parameters) ? { parameters: parameters as number } : {}),
  };
}
