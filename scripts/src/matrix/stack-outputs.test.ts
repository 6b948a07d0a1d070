import { describe, expect, it } from "vitest";
import { linePrefixer } from "../shared/line-prefixer.js";
import { readLoadTestLocation } from "./stack-outputs.js";

describe("readLoadTestLocation", () => {
  it("reads the outputs infra exports, turning a kubeconfig object into text", () => {
    const location = readLoadTestLocation("c7g", {
      kubeconfig: { apiVersion: "v1" },
      loadTestNamespace: "load-test",
      loadTestJobName: "k6-abc",
      resultsUri: "s3://b/c7g/k6-abc/",
    });
    expect(location).toEqual({ kubeconfig: '{"apiVersion":"v1"}', namespace: "load-test", jobName: "k6-abc", resultsUri: "s3://b/c7g/k6-abc/" });
  });

  it("names every missing output and how to look", () => {
    expect(() => readLoadTestLocation("g5", { kubeconfig: "x", loadTestNamespace: "" })).toThrow(
      /Stack g5 has no output loadTestNamespace, loadTestJobName, resultsUri: .*pulumi stack output --stack g5/,
    );
  });
});

describe("linePrefixer", () => {
  it("prefixes whole lines across chunk boundaries and flushes the last partial line", () => {
    const lines: string[] = [];
    const out = linePrefixer("c7i", (line) => lines.push(line));
    out.write("Updating (c7i)\n  + eks:Clu");
    out.write("ster created\r\n");
    out.write("Outputs:");
    expect(lines).toEqual(["[c7i] Updating (c7i)", "[c7i]   + eks:Cluster created"]);
    out.flush();
    expect(lines.at(-1)).toBe("[c7i] Outputs:");
  });
});
