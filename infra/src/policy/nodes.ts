import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { LABELS } from "../constants.js";
import { forTypes, TYPES } from "./by-type.js";

const FLEET_ROLE_LABEL = LABELS.nodeRole;

export const imdsV2HopLimitOne: ResourceValidationPolicy = {
  name: "imdsv2-required-hop-limit-1",
  description: "Nodes require IMDSv2 with a hop limit of 1, so pods cannot take the node's credentials; node groups use such a launch template.",
  enforcementLevel: "mandatory",
  validateResource: [
    forTypes([TYPES.launchTemplate], (props, report) => {
      const options = props.metadataOptions ?? {};
      if (options.httpTokens !== "required") report('IMDSv2 is not required: set metadataOptions.httpTokens to "required".');
      if (options.httpPutResponseHopLimit !== 1)
        report(`The metadata hop limit is ${options.httpPutResponseHopLimit ?? "unset"}: set metadataOptions.httpPutResponseHopLimit to 1.`);
    }),
    forTypes(TYPES.nodeGroup, (props, report) => {
      if (!props.launchTemplate)
        report("The node group has no launch template, so its nodes get the default metadata settings: give it one that requires IMDSv2 with hop limit 1.");
    }),
  ],
};

export const nodeGroupsInPrivateSubnets: StackValidationPolicy = {
  name: "node-groups-in-private-subnets",
  description: "Node groups name their subnets, and none of them is public.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const publicSubnets = new Set<string>();
    for (const resource of args.resources) {
      if (resource.type === "awsx:ec2:Vpc") for (const id of resource.props.publicSubnetIds ?? []) publicSubnets.add(id);
      if (resource.type === "aws:ec2/subnet:Subnet" && resource.props.mapPublicIpOnLaunch === true) publicSubnets.add(resource.props.id);
    }
    for (const group of args.resources.filter((resource) => (TYPES.nodeGroup as readonly string[]).includes(resource.type))) {
      const subnets: string[] = group.props.subnetIds ?? [];
      if (subnets.length === 0)
        report(`Node group ${group.name} names no subnets, so it could land in public ones: give it the private subnet IDs.`, group.urn);
      const exposed = subnets.filter((id) => publicSubnets.has(id));
      if (exposed.length > 0) report(`Node group ${group.name} uses public subnets ${exposed.join(", ")}: use the private subnets only.`, group.urn);
    }
  },
};

/**
 * Servers that KEDA scales need nodes the Cluster Autoscaler can add: with a ScaledObject in the stack, the fleet node
 * group's maxSize must be above its minSize (a group pinned at its minimum leaves the extra pods Pending).
 */
export const autoscaledServersHaveRoomToGrow: StackValidationPolicy = {
  name: "autoscaled-servers-have-room-to-grow",
  description: "With server autoscaling on (KEDA ScaledObjects), the fleet node group's maxSize is above its minSize.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    if (!args.resources.some((resource) => resource.type === "kubernetes:keda.sh/v1alpha1:ScaledObject")) return;
    const fleetGroups = args.resources.filter(
      (resource) => (TYPES.nodeGroup as readonly string[]).includes(resource.type) && resource.props.labels?.[FLEET_ROLE_LABEL] === "fleet",
    );
    if (fleetGroups.length === 0)
      report("The stack scales servers with KEDA but has no fleet node group to grow: autoscaling needs the cluster this program creates.");
    for (const group of fleetGroups) {
      const { minSize, maxSize } = group.props.scalingConfig ?? {};
      if (!(typeof maxSize === "number" && typeof minSize === "number" && maxSize > minSize)) {
        report(
          `Node group ${group.name} scales from ${minSize ?? "unset"} to ${maxSize ?? "unset"} nodes, so the Cluster Autoscaler cannot add nodes for the ` +
            "servers' extra replicas: size the group with fleet-config's fleetNodeBounds (maxSize above minSize).",
          group.urn,
        );
      }
    }
  },
};
