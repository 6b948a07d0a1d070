// Whether the model fits a candidate's servers at all: its weights, loaded once per session (one shared session, or one
// per copy with server.separateSessions), against the server's memory limit and, on an accelerator, a device's memory.
// A lower bound (activations, the runtime and the tokenizer come on top), so a candidate refused here cannot run.
import { getInstanceType, memoryMiB, type FleetConfig } from "@inference-fleet/fleet-config";

const MIB = 1024 * 1024;

export function modelFitProblem(config: FleetConfig, modelBytes: number): string | undefined {
  const { server } = config;
  const sessions = server.separateSessions ? server.numModels : 1;
  const weightsMiB = (modelBytes * sessions) / MIB;
  const loads = `model.onnx is ${(modelBytes / MIB).toFixed(0)} MiB and each server loads it ${sessions} time(s)`;
  const limitMiB = memoryMiB(server.resources.memory);
  if (weightsMiB > limitMiB) {
    return (
      `does not fit: ${loads}, ${weightsMiB.toFixed(0)} MiB of weights alone, over server.resources.memory ${server.resources.memory}. ` +
      "Give the template more memory per server, fewer separate sessions, or measure int8."
    );
  }
  const accelerator = getInstanceType(config.instanceType).accelerator;
  if (accelerator && weightsMiB > accelerator.memoryGiB * 1024) {
    return `does not fit: ${loads}, ${weightsMiB.toFixed(0)} MiB of weights alone, over the ${accelerator.memoryGiB} GiB of one ${accelerator.model}.`;
  }
  return undefined;
}
