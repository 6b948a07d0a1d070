import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The hand-written PyTorch BERT (reference/bert_reference.py) the imported models are checked against. */
const REFERENCE_SCRIPT = fileURLToPath(new URL("../../reference/bert_reference.py", import.meta.url));

/** Debian's python3 with python3-torch (the pyenv python3 first on PATH does not see Debian's packages); REFERENCE_PYTHON overrides it. */
const REFERENCE_PYTHON = process.env["REFERENCE_PYTHON"] ?? "/usr/bin/python3";

/** Undefined when the reference can run, else why not (printed as a test's skip reason). */
export function pytorchMissing(): string | undefined {
  const probe = spawnSync(REFERENCE_PYTHON, ["-c", "import torch, numpy"], { encoding: "utf8", timeout: 60_000 });
  if (probe.error) return `${REFERENCE_PYTHON} could not run (${probe.error.message})`;
  if (probe.status !== 0) return `${REFERENCE_PYTHON} has no torch/numpy (apt-get install -y python3-torch python3-numpy)`;
  return undefined;
}

/** int64 inputs as nested lists, [batch][sequence]. */
export interface ReferenceInputs {
  readonly input_ids: readonly (readonly number[])[];
  readonly attention_mask: readonly (readonly number[])[];
  readonly token_type_ids: readonly (readonly number[])[];
}

/** Logits by output name (start_logits/end_logits [batch][sequence], or logits [batch][labels]) from the PyTorch reference run on a checkpoint folder. */
export function runPytorchReference(checkpointDir: string, inputs: ReferenceInputs): Record<string, number[][]> {
  const result = spawnSync(REFERENCE_PYTHON, [REFERENCE_SCRIPT, checkpointDir], { input: JSON.stringify(inputs), encoding: "utf8", timeout: 120_000 });
  if (result.status !== 0) throw new Error(`The PyTorch reference failed (${REFERENCE_PYTHON} ${REFERENCE_SCRIPT}): ${result.error?.message ?? result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, number[][]>;
}
