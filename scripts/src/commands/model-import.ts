import { copyModelDir, hubSettingsFromEnv, importFromHub, parseHubModelId, SUPPORTED_ARCHITECTURES } from "@inference-fleet/model-zoo";
import { defineCommand, UsageError } from "../command.js";
import { formatSeconds, requireOut } from "./model-options.js";

export const modelImport = defineCommand({
  path: ["model", "import"],
  summary: "Import a BERT checkpoint from the Hugging Face hub: download its safetensors and tokenizer, build model.onnx (no Python).",
  details: `Resolves the revision (default main) to the commit the hub reports and downloads config.json,
tokenizer.json and the weights at that commit with @huggingface/hub: model.safetensors (or its shards), or the
repo's own onnx/model.onnx when it has one (then that is used). pytorch_model.bin is never downloaded.
model.onnx is built in TypeScript from the weights. Supported: ${Object.keys(SUPPORTED_ARCHITECTURES).join(", ")}.

The download and the built model are cached by commit under $HF_HOME/inference-fleet (HF_HOME defaults to
~/.cache/huggingface): importing a commit again makes no request, a branch one. Environment: HF_ENDPOINT (another
hub, e.g. a mirror), HF_TOKEN (private and gated repos), HF_HUB_OFFLINE=1 (like --offline).

Example: fleet model import --hf deepset/bert-base-cased-squad2 --out models/squad2`,
  options: {
    hf: { type: "string", valueName: "ORG/NAME[@REVISION]", description: "The hub model id, optionally with a branch, tag or commit (required)." },
    out: { type: "string", valueName: "DIR", description: "New or empty directory for model.onnx, tokenizer.json, model.json and config.json (required)." },
    offline: { type: "boolean", description: "Use the cache only; never ask the hub (a branch is the commit it had when last imported)." },
  },
  async run({ values }) {
    if (!values.hf) throw new UsageError("--hf is required: the hub model id, e.g. --hf deepset/bert-base-cased-squad2.");
    const id = parseHubModelId(values.hf);
    const outDir = requireOut(values.out);
    const settings = hubSettingsFromEnv(process.env);
    const started = performance.now();
    const imported = await importFromHub({
      ...id,
      settings: { ...settings, offline: settings.offline || values.offline === true },
      log: (line) => console.log(line),
    });
    const files = copyModelDir(imported.dir, outDir, `fleet model import --hf ${values.hf}`);
    const { info } = imported;
    const labels = info.id2label ? `, labels ${Object.values(info.id2label).join(", ")}` : "";
    console.log(`Wrote hf://${id.repo}@${imported.commit} (${info.architectureName}, ${info.task}${labels}) to ${outDir}:`);
    for (const file of files) console.log(`  ${file}`);
    const how = imported.cached ? "from the cache" : `${imported.requests} requests to ${settings.hubUrl}`;
    console.log(
      `${info.parameters.toLocaleString("en-US")} parameters, in ${formatSeconds(performance.now() - started)} (${how}). ` +
        `Serve it: fleet serve --model-dir ${outDir}`,
    );
    return 0;
  },
});
