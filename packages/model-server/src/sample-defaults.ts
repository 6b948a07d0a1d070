// The AWS sample's default question and context: one copy, in fleet-config, shared with the load generators.
export { DEFAULT_CONTEXT, DEFAULT_QUESTION } from "@inference-fleet/fleet-config";
