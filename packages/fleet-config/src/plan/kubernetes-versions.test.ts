import { describe, expect, it } from "vitest";
import { parseFleetConfig } from "../parse.js";
import { estimateUsdPerHour } from "./cost.js";
import {
  DEFAULT_KUBERNETES_VERSION,
  describeKubernetesSupport,
  KUBERNETES_VERSIONS,
  kubernetesSupport,
  EKS_EXTENDED_SUPPORT_USD_PER_HOUR,
  EKS_STANDARD_SUPPORT_USD_PER_HOUR,
} from "./kubernetes-versions.js";
import { planStack } from "./stack-plan.js";

describe("Kubernetes versions", () => {
  it.each(KUBERNETES_VERSIONS.map((v) => [v.minor, v] as const))("%s: the Cluster Autoscaler image is of the same minor", (minor, facts) => {
    expect(facts.clusterAutoscalerImage).toMatch(new RegExp(`^v${minor.replace(".", "\\.")}\\.\\d+$`));
    expect(facts.endOfStandardSupport < facts.endOfExtendedSupport).toBe(true);
  });

  it("defaults to the newest version, in standard support", () => {
    expect(parseFleetConfig({}).cluster.kubernetesVersion).toBe(DEFAULT_KUBERNETES_VERSION);
    expect(DEFAULT_KUBERNETES_VERSION).toBe(KUBERNETES_VERSIONS.at(-1)!.minor);
    expect(kubernetesSupport(DEFAULT_KUBERNETES_VERSION, "2026-12-07").status).toBe("standard");
  });

  it.each([
    ["1.33", "2026-07-29", "standard", EKS_STANDARD_SUPPORT_USD_PER_HOUR],
    ["1.33", "2026-07-30", "extended", EKS_EXTENDED_SUPPORT_USD_PER_HOUR],
    ["1.33", "2027-07-30", "ended", EKS_EXTENDED_SUPPORT_USD_PER_HOUR],
    ["1.34", "2026-12-07", "extended", EKS_EXTENDED_SUPPORT_USD_PER_HOUR],
  ])("%s on %s: %s support, control plane $%s/h", (minor, today, status, price) => {
    expect(kubernetesSupport(minor, today)).toMatchObject({ status, controlPlaneUsdPerHour: price });
  });

  it("prices the control plane of a stack pinned to a version in extended support at $0.60/h, and fleet plan says so", () => {
    const old = parseFleetConfig({ cluster: { kubernetesVersion: "1.33" } });
    const current = parseFleetConfig({});
    expect(estimateUsdPerHour(old, "2026-12-07").total - estimateUsdPerHour(current, "2026-12-07").total).toBeCloseTo(0.5, 6);
    expect(describeKubernetesSupport(kubernetesSupport("1.33", "2026-12-07"))).toBe(
      'Kubernetes 1.33: EXTENDED support until 2027-07-29 (control plane $0.60/h, 6x standard); set cluster.kubernetesVersion: "1.35"',
    );
    expect(planStack(old).kubernetes?.status).not.toBe("standard"); // 1.33 left standard support on 2026-07-29
  });

  it("refuses a version it has no facts for, listing the known ones", () => {
    expect(() => parseFleetConfig({ cluster: { kubernetesVersion: "1.29" } })).toThrow(
      /cluster\.kubernetesVersion: must be one of the EKS versions .*1\.33, 1\.34, 1\.35/,
    );
  });
});
