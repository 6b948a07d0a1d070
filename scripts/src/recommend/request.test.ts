// `fleet recommend`'s command line: what it refuses, and how it says what to type instead.
import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../cli.js";
import { UsageError } from "../command.js";
import { captureConsole } from "../testing/capture-console.js";
import { parseRecommendRequest } from "./request.js";

afterEach(() => vi.restoreAllMocks());

const base = { model: "hf://org/name", slo: "p90<=50ms", rate: "5000" };

describe("parseRecommendRequest", () => {
  it("defaults to no types named (every family with a template), fp32, on AWS", () => {
    expect(parseRecommendRequest(base)).toEqual({
      model: "hf://org/name",
      slo: "p90<=50ms",
      rate: 5000,
      types: [],
      precisions: ["fp32"],
      local: false,
    });
  });

  it("takes families and exact types, both precisions, a budget in any duration and a cost ceiling", () => {
    const request = parseRecommendRequest({ ...base, types: "c7g, c7i.2xlarge", precision: "fp32,int8", budget: "90m", "max-usd": "20", headroom: "0.3" });
    expect(request).toMatchObject({ types: ["c7g", "c7i.2xlarge"], precisions: ["fp32", "int8"], budgetSeconds: 5400, maxUsd: 20, headroom: 0.3 });
  });

  it.each([
    [{ types: "c7q" }, /^Unknown instance type or family "c7q"\. Did you mean "c7g", "c7i"/],
    [{ types: "c7g.2xlarg" }, /"c7g\.2xlarg"\. Did you mean "c7g\.2xlarge"/],
    [{ precision: "fp16" }, /--precision takes fp32 and\/or int8/],
    [{ slo: "p90<50ms" }, /^--slo: SLO "p90<50ms" uses "<": an SLO holds while the percentile is at most the threshold, so write "p90<=50ms"\.$/],
    [{ rate: "lots" }, /--rate must be a positive number, e.g. --rate 5000; got "lots"/],
    [{ model: "deepset/squad2" }, /--model takes a hub id hf:\/\/ORG\/NAME\[@REVISION\]/],
    [{ budget: "soon" }, /--budget must be a duration such as 90m/],
    [{ headroom: "1" }, /--headroom must be a share between 0 and 1/],
    [{ local: true, types: "c7i,c7g" }, /With --local this machine stands for one instance type/],
  ])("refuses %j", (extra, message) => {
    expect(() => parseRecommendRequest({ ...base, ...extra })).toThrow(UsageError);
    expect(() => parseRecommendRequest({ ...base, ...extra })).toThrow(message);
  });

  it("is registered: a misspelled type on the command line exits 2 with the nearest names, before anything is imported", async () => {
    const { errLines } = captureConsole();
    expect(await main(["recommend", "--model", "hf://org/name", "--slo", "p90<=50ms", "--rate", "10", "--types", "inf3"])).toBe(2);
    expect(errLines.join("\n")).toMatch(/"inf3"\. Did you mean "inf1" or "inf2"\?/);
  });
});
