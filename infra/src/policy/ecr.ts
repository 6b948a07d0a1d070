import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forTypes, TYPES } from "./by-type.js";

export const ecrScanOnPushAndImmutableTags: ResourceValidationPolicy = {
  name: "ecr-scan-on-push-immutable-tags",
  description: "ECR repositories scan images on push and have immutable tags; a missing scan configuration counts as off.",
  enforcementLevel: "mandatory",
  validateResource: forTypes(TYPES.ecrRepository, (props, report) => {
    if (props.imageScanningConfiguration?.scanOnPush !== true) {
      report("Image scanning on push is off or not configured: set imageScanningConfiguration: { scanOnPush: true }.");
    }
    if (props.imageTagMutability !== "IMMUTABLE") {
      report(`Image tags are ${props.imageTagMutability ?? "MUTABLE (the default)"}: set imageTagMutability: "IMMUTABLE" and tag images by content.`);
    }
  }),
};
