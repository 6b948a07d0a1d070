// The HTML report read as a browser would (linkedom's DOM): the verdict first, every label whole,
// an SLO line on every curve, and percentiles told apart by more than colour.
import { parseHTML } from "linkedom";
import { describe, expect, it } from "vitest";
import { renderHtml } from "./html.js";
import { capacityRun, plainRun, queueLatencies } from "./test-fixtures.js";

// Names that a label cut at either end would turn into the same text.
const SHARED = "2 servers x 2 models, maxBatch 4, dynamic padding, four inference workers with two ONNX Runtime threads each";
const STACKS = ["dev-laptop-sized-comparison-batching-on", "dev-laptop-sized-comparison-batching-off"];
const results = [
  capacityRun({ stack: STACKS[0]!, where: "local", instanceType: "c7i.large", name: SHARED }, { serviceRate: 1200 }),
  capacityRun({ stack: STACKS[1]!, where: "local", instanceType: "c7i.large", name: SHARED }, { serviceRate: 700 }),
  plainRun({ stack: "g5", instanceType: "g5.xlarge", slo: "p90<=100ms", name: SHARED }, 300, queueLatencies(300, 1000, 8)),
];
const title = "fleet local --compare dev-laptop-sized-comparison-batching-on,dev-laptop-sized-comparison-batching-off --capacity --as c7i.large";
const { document } = parseHTML(renderHtml(results, title));
const text = (selector: string) => [...document.querySelectorAll(selector)].map((e) => e.textContent!.trim());

describe("the HTML report in a DOM", () => {
  it("puts the verdict right under the title, before any chart", () => {
    const body = [...document.body.children];
    expect(body[0]!.tagName).toBe("H1");
    expect(body[0]!.textContent).toBe(title);
    expect(body[1]!.id).toBe("verdict");
    expect(body[1]!.querySelector(".headline")!.textContent).toMatch(
      /^dev-laptop-sized-comparison-batching-on: 1,\d{3} req\/s per node at p90 <= 100 ms, \$0\.0\d+ per million inferences; \d\.\dx cheaper than dev-laptop-sized-comparison-batching-off$/,
    );
    expect(document.querySelectorAll("#verdict ~ * svg, #verdict ~ svg").length).toBeGreaterThan(0);
    expect(body[1]!.querySelectorAll("svg").length).toBe(0);
  });

  it("writes every bar label in full, so no two bars read the same", () => {
    const labels = text(".bar-label");
    expect(labels.length).toBe(3 * 3); // cost, rate per node and latency bars
    expect(new Set(labels)).toEqual(new Set([...STACKS, "g5.xlarge"]));
    // The long names stay whole in the card titles and the numbers table too.
    expect(text(".card h3")).toEqual([...STACKS, "g5.xlarge"]);
    for (const name of STACKS) expect(text(".card .note").filter((n) => n === `${name} / c7i.large / ${SHARED}`)).toHaveLength(1);
  });

  it("keeps titles out of the SVGs (as captions that wrap), and every SVG text inside its viewBox", () => {
    expect(text("figcaption.chart-title")).toContain(`Latency against offered load: ${STACKS[1]}`);
    for (const svg of document.querySelectorAll("svg[viewBox]")) {
      const width = Number(svg.getAttribute("viewBox")!.split(" ")[2]);
      for (const t of svg.querySelectorAll("text")) {
        const x = Number(t.getAttribute("x"));
        // 11-12 px text is at most ~0.62 em per character in the page's sans-serif.
        const length = t.textContent!.length * 12 * 0.62;
        const anchor = t.getAttribute("text-anchor") ?? "start";
        const [left, right] = anchor === "end" ? [x - length, x] : anchor === "middle" ? [x - length / 2, x + length / 2] : [x, x + length];
        expect({ text: t.textContent, left: left >= -1, right: right <= width + 1 }).toEqual({ text: t.textContent, left: true, right: true });
      }
    }
  });

  it("draws the SLO line on every curve and marks the capacity of every search", () => {
    const curves = [...document.querySelectorAll("figure.curve")];
    expect(curves).toHaveLength(3);
    for (const curve of curves) {
      expect(curve.querySelectorAll("svg line.slo-line")).toHaveLength(1);
      expect(curve.querySelector("svg .slo-label")!.textContent).toBe("SLO p90 <= 100 ms");
    }
    expect(curves.map((c) => c.querySelectorAll("line.capacity-marker").length)).toEqual([1, 1, 0]);
    expect(curves[0]!.querySelector(".capacity-label")!.textContent).toMatch(/^capacity 1,\d{3} req\/s$/);
    // The latency-over-time charts carry the SLO too.
    expect(document.querySelectorAll("line.slo-line").length).toBe(3 + 3);
  });

  it("draws the p50, p90 and p99 legend swatches with different dash patterns, as their lines are drawn", () => {
    for (const legend of document.querySelectorAll("figure.curve .legend")) {
      const dash = (name: string) => {
        const item = [...legend.querySelectorAll(".legend-item")].find((i) => i.textContent === name)!;
        return item.querySelector("line")!.getAttribute("stroke-dasharray");
      };
      expect(new Set([dash("p50"), dash("p90"), dash("p99")]).size).toBe(3);
      const figure = legend.parentElement!;
      const line = figure.querySelector('polyline[data-series="p99"]')!;
      expect(line.getAttribute("stroke-dasharray")).toBe(dash("p99"));
    }
  });
});
