import type { Policies } from "@pulumi/policy";
import { ecrScanOnPushAndImmutableTags } from "./ecr.js";
import { eksEndpointNotOpen, eksSecretsEncrypted } from "./eks.js";
import { addOnRolesWithoutWildcards, alarmOnEveryFleet, noInternetFacingLoadBalancer } from "./operations.js";
import { autoscaledServersHaveRoomToGrow, imdsV2HopLimitOne, nodeGroupsInPrivateSubnets } from "./nodes.js";
import { s3BucketsBlockedAndEncrypted, s3EncryptionByDefault, s3PublicAccessBlocked } from "./s3.js";
import { workloadWaitCoversStartup } from "./startup-wait.js";
import { containersNonRootWithLimits } from "./workloads.js";

/** Every rule of the inference-fleet policy pack, all mandatory. */
export const POLICIES: Policies = [
  ecrScanOnPushAndImmutableTags,
  s3PublicAccessBlocked,
  s3EncryptionByDefault,
  s3BucketsBlockedAndEncrypted,
  nodeGroupsInPrivateSubnets,
  autoscaledServersHaveRoomToGrow,
  imdsV2HopLimitOne,
  eksEndpointNotOpen,
  eksSecretsEncrypted,
  containersNonRootWithLimits,
  noInternetFacingLoadBalancer,
  alarmOnEveryFleet,
  addOnRolesWithoutWildcards,
  workloadWaitCoversStartup,
];
