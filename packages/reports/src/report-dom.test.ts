// The HTML report read as a browser would (linkedom's DOM): the verdict first, every label whole,
// an SLO line on every curve, and percentiles told apart by more than colour.
import { parseHTML } from "linkedom";
import { describe, expect, it } from "vitest";
import { renderHtml } from "./html.js";
import { OTHER_COLOR, PALETTE, WINNER_COLOR } from "./svg.js";
import { capacityRun, fleetRun, plainRun, queueLatencies } from "./test-fixtures.js";

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
    // Instance type and count first (with the stack, as both stand for the same type), then what it serves and costs a month.
    expect(body[1]!.querySelector(".headline")!.textContent).toMatch(
      new RegExp(
        `^1 x c7i\\.large \\(${STACKS[0]}\\) serves 1,\\d{3} req/s at p90 <= 100 ms for \\$65\\.15/month \\(\\$0\\.0\\d+ per million inferences\\); ` +
          `\\d\\.\\dx cheaper than ${STACKS[1]} \\(per million: `,
      ),
    );
    expect(document.querySelectorAll("#verdict ~ * svg, #verdict ~ svg").length).toBeGreaterThan(0);
    expect(body[1]!.querySelectorAll("svg").length).toBe(0);
  });

  it("writes every bar label in full, so no two bars read the same", () => {
    const labels = text(".bar-label");
    expect(labels.length).toBe(3 * 3); // cost, rate per node and latency bars
    expect(new Set(labels)).toEqual(new Set([...STACKS, "g5.xlarge"]));
    // The long names stay whole in the card titles and the numbers table too.
    expect(text(".stack .card h3")).toEqual([...STACKS, "g5.xlarge"]);
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

describe("the HTML report says where the time goes, and says it plainly", () => {
  const fleet = fleetRun({ stack: "fleet", where: "local", slo: "p90<=100ms" });
  const page = parseHTML(renderHtml([...results, fleet], title)).document;
  const all = (selector: string) => [...page.querySelectorAll(selector)];

  it("breaks the fleet down per server and per model, with each server's queue vs inference time and a finding for each", () => {
    const where = all(".card.where").find((c) => c.querySelector("h3")!.textContent === "fleet")!;
    expect([...where.querySelectorAll("h4")].map((h) => h.textContent)).toEqual([
      "Per server",
      "Per model",
      "In the server (its /metrics): queue vs inference",
    ]);
    const [servers, models, split] = [...where.querySelectorAll("table")].map((t) =>
      [...t.querySelectorAll("tbody tr")].map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent)),
    );
    expect(servers!.map((row) => row[0])).toEqual(["127.0.0.1:8081", "127.0.0.1:8082"]);
    expect(servers!.map((row) => row[2])).toEqual(["69%", "31%"]);
    expect(servers![1]![6]).toBe("100 (10.0%)");
    expect(models!.map((row) => row[0])).toEqual(["model0", "model1"]);
    // From the servers' counters: 7.5 ms in the server of which a 6 ms run; 28 ms of which a 9 ms run (two requests each).
    expect(split).toEqual([
      ["127.0.0.1:8081", "7.5 ms", "6 ms", "1.5 ms", "1.00", "1.20"],
      ["127.0.0.1:8082", "28 ms", "9 ms", "19 ms", "2.00", "0.45"],
    ]);
    const findings = [...where.querySelectorAll(".finding")].map((f) => f.textContent);
    expect(findings[0]).toMatch(/^Unbalanced: 127\.0\.0\.1:8081 served 200 req\/s and 127\.0\.0\.1:8082 90 req\/s/);
    expect(findings[1]).toMatch(/^CPU-bound at 127\.0\.0\.1:8081: inference is 6 ms of the 7\.5 ms/);
    expect(findings[2]).toMatch(/^Queue-bound at 127\.0\.0\.1:8082: a request spent 28 ms in the server, of which 9 ms in a run and 19 ms waiting/);
  });

  it("labels every cell of every table with its column, so the rows read whole when stacked on a narrow page", () => {
    for (const table of all("table.stacked")) {
      const heads = [...table.querySelectorAll("th")].map((th) => th.textContent);
      for (const row of table.querySelectorAll("tbody tr")) {
        expect([...row.querySelectorAll("td")].map((td) => td.getAttribute("data-label"))).toEqual(heads);
      }
    }
    expect(all("table").every((t) => t.classList.contains("stacked"))).toBe(true);
  });

  it("colours by meaning: the cheapest bar green, the others grey, and no run in red", () => {
    const costBars = all(".bars")[0]!.querySelectorAll(".bar");
    const colours = [...costBars].map((bar) => /background:([^;"]+)/.exec(bar.getAttribute("style")!)![1]);
    expect(colours.filter((c) => c === WINNER_COLOR)).toHaveLength(1);
    expect(colours.every((c) => c === WINNER_COLOR || c === OTHER_COLOR)).toBe(true);
    expect(PALETTE.map((c) => c.toLowerCase())).not.toContain("#dc2626");
    expect(all(".dot").map((d) => d.getAttribute("style"))).not.toContain("background:#dc2626");
  });

  it("draws every stack's curve on the same axes", () => {
    const ticks = all('figure.curve svg[role="img"]').map((svg) => [...svg.querySelectorAll("text.tick")].map((t) => t.textContent).join(" "));
    expect(ticks).toHaveLength(4);
    expect(new Set(ticks).size).toBe(1);
  });

  it("says what the card's figures and the throughput chart show", () => {
    expect(all(".stack .note").some((n) => n.textContent!.includes("the figures above are those of the step at the capacity"))).toBe(true);
    expect(all(".note").some((n) => n.textContent!.includes("below the curve"))).toBe(false);
    expect(all("figcaption").map((f) => f.textContent)).toContain("Throughput over time (a capacity search shows its step at the capacity only)");
  });
});
