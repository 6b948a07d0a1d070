import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { LoadTestResult } from "@inference-fleet/load-test";
import { renderHtml } from "./html.js";
import { renderMarkdown } from "./markdown.js";

export interface WrittenReport {
  markdownPath: string;
  htmlPath: string;
  markdown: string;
}

/** Writes report.md and report.html into `dir` (created if missing). */
export async function writeReport(results: readonly LoadTestResult[], dir: string): Promise<WrittenReport> {
  if (results.length === 0) throw new Error("No results to report: pass at least one results file.");
  await mkdir(dir, { recursive: true });
  const markdown = renderMarkdown(results);
  const markdownPath = join(dir, "report.md");
  const htmlPath = join(dir, "report.html");
  await Promise.all([writeFile(markdownPath, markdown), writeFile(htmlPath, renderHtml(results))]);
  return { markdownPath, htmlPath, markdown };
}
