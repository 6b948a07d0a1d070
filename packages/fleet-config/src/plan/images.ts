/** Which images a stack runs, for which platform, and the node AMI each node group boots. */
import { getInstanceType, type InstanceTypeFacts } from "../catalog.js";
import type { FleetConfig } from "../schema.js";
import { serverImageVariantFor } from "./processor.js";

export type Arch = InstanceTypeFacts["arch"];
export type AcceleratorKind = NonNullable<InstanceTypeFacts["accelerator"]>["kind"];

/**
 * Third-party images, pinned. Check for newer tags before a real run; nothing here can reach a
 * registry to verify them. All are multi-architecture (linux/amd64 and linux/arm64).
 */
export const IMAGES = {
  k6: "grafana/k6:1.3.0",
  awsCli: "public.ecr.aws/aws-cli/aws-cli:2.31.0",
  pause: "registry.k8s.io/pause:3.10",
  nvidiaDevicePlugin: "nvcr.io/nvidia/k8s-device-plugin:v0.17.4",
  neuronDevicePlugin: "public.ecr.aws/neuron/neuron-device-plugin:2.24.23.0",
} as const;

/** The EKS-optimized Amazon Linux 2023 AMI type for an architecture and accelerator. */
export function amiTypeFor(arch: Arch, accelerator: AcceleratorKind | undefined): string {
  if (accelerator === "nvidia") {
    if (arch !== "x86_64") throw new Error("NVIDIA node groups are x86_64 only here: pick a g4dn, g5 or g6 instance type.");
    return "AL2023_x86_64_NVIDIA";
  }
  if (accelerator === "neuron") {
    if (arch !== "x86_64") throw new Error("Neuron node groups are x86_64 only: pick an inf1 or inf2 instance type.");
    return "AL2023_x86_64_NEURON";
  }
  return arch === "arm64" ? "AL2023_ARM_64_STANDARD" : "AL2023_x86_64_STANDARD";
}

/** The Docker platform for images that run on an architecture. */
export function platformFor(arch: Arch): "linux/amd64" | "linux/arm64" {
  return arch === "arm64" ? "linux/arm64" : "linux/amd64";
}

/** The model-server image: built by the program from a Dockerfile in this repo, or one the stack names. */
export type ServerImagePlan =
  | { readonly kind: "build"; readonly dockerfile: string; readonly variant: "cpu" | "gpu" | "neuron"; readonly platform: "linux/amd64" | "linux/arm64" }
  | { readonly kind: "external"; readonly image: string; readonly platform: "linux/amd64" | "linux/arm64" };

/** Where each processor's server image is built from: ONNX Runtime on CPU or CUDA, the Python Neuron server on Inferentia. */
export const SERVER_DOCKERFILES = {
  cpu: "packages/model-server/Dockerfile",
  gpu: "packages/model-server/Dockerfile.gpu",
  neuron: "packages/neuron-server/Dockerfile.neuron",
} as const;

/** Which Dockerfile builds the server for the config's processor, or the stack's own image. */
export function serverImagePlan(config: FleetConfig): ServerImagePlan {
  const platform = platformFor(getInstanceType(config.instanceType).arch);
  if (config.server.image) return { kind: "external", image: config.server.image, platform };
  const variant = serverImageVariantFor(config.server.processor);
  return { kind: "build", dockerfile: SERVER_DOCKERFILES[variant], variant, platform };
}

/** An image reference someone left as an example (the documentation account, a placeholder word): it can never be pulled. */
export function isPlaceholderImage(image: string): boolean {
  return /(^|[^0-9])123456789012([^0-9]|$)|<[^>]*>|\bexample\b|\bREPLACE\b|\bCHANGEME\b/i.test(image);
}
