export { renderMarkdown } from "./markdown.js";
export { renderHtml } from "./html.js";
export { writeReport } from "./write.js";
export { summarizeRun } from "./runs.js";
export { buildVerdict } from "./verdict.js";
export { pricingLabels } from "./pricing.js";
export { SLO_LABEL } from "./slo.js";
export { sloMiss } from "./slo-miss.js";
