/** What each server.processor runs: the one mapping from the processor that the server environment, the image and the accelerator check read. */
import type { FleetConfig } from "../schema.js";

export type Processor = FleetConfig["server"]["processor"];
export type ExecutionProvider = "cpu" | "cuda" | "neuron";

const RUNTIMES = {
  cpu: { executionProvider: "cpu", imageVariant: "cpu" },
  gpu: { executionProvider: "cuda", imageVariant: "gpu" },
  inf: { executionProvider: "neuron", imageVariant: "neuron" },
} as const satisfies Record<Processor, { executionProvider: ExecutionProvider; imageVariant: string }>;

/**
 * The execution provider a processor's servers run on and report (`parameters.execution_provider`):
 * ONNX Runtime's cpu or cuda, or neuron for the Neuron server (packages/neuron-server).
 */
export function executionProviderFor(processor: Processor): ExecutionProvider {
  return RUNTIMES[processor].executionProvider;
}

/** Which of our server images (SERVER_DOCKERFILES) a processor runs. */
export function serverImageVariantFor(processor: Processor): (typeof RUNTIMES)[Processor]["imageVariant"] {
  return RUNTIMES[processor].imageVariant;
}
