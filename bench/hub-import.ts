/**
 * How long `fleet model import --hf` takes for a bert-base-sized checkpoint (12 layers, hidden 768, vocabulary
 * 30,522, QA head: about 109M parameters, 436 MB of F32 safetensors) with seeded weights, served by the loopback
 * hub: the first import (download + build) and a second one (from the cache), each a separate `fleet` process.
 *
 *   node --conditions=source --import tsx bench/hub-import.ts [--layers 12] [--hidden 768] [--heads 12]
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadBertVocabulary, UNCASED } from "@inference-fleet/model-zoo";
import { buildBertCheckpoint, FakeHub } from "@inference-fleet/model-zoo/testing";

const { values } = parseArgs({
  options: { layers: { type: "string", default: "12" }, hidden: { type: "string", default: "768" }, heads: { type: "string", default: "12" } },
});
const FLEET = fileURLToPath(new URL("../scripts/bin/fleet.js", import.meta.url));
const REPO = "test-org/bert-base-seeded-qa";

const madeAt = performance.now();
const files = buildBertCheckpoint({
  head: { task: "question-answering" },
  vocabulary: loadBertVocabulary(),
  normalizer: UNCASED,
  layers: Number(values.layers),
  hiddenSize: Number(values.hidden),
  heads: Number(values.heads),
});
console.log(
  `checkpoint made in ${((performance.now() - madeAt) / 1000).toFixed(1)} s: model.safetensors ${(files["model.safetensors"]!.length / 1e6).toFixed(1)} MB`,
);

const hub = await FakeHub.start();
hub.addCommit(REPO, files);
const work = mkdtempSync(join(tmpdir(), "hub-import-bench-"));
const env = { ...process.env, HF_ENDPOINT: hub.url, HF_HOME: join(work, "hf-home") };
try {
  for (const [run, out] of [
    ["first import (download + build)", join(work, "first")],
    ["second import (cache)", join(work, "second")],
  ] as const) {
    const started = performance.now();
    // Asynchronously, so this process's hub keeps answering while the CLI downloads.
    const printed = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [FLEET, "model", "import", "--hf", REPO, "--out", out], { env, maxBuffer: 1 << 24 }, (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    console.log(`\n== ${run}: ${((performance.now() - started) / 1000).toFixed(1)} s wall (fleet's start-up included)\n${printed.trim()}`);
  }
  console.log(`\n${execFileSync("nproc").toString().trim()} CPUs, Node ${process.version}`);
} finally {
  await hub.close();
  rmSync(work, { recursive: true, force: true });
}
