// Every repository path the front-door documents name in backticks exists, so the layout they describe
// cannot drift from the code again (issue #24 found ARCHITECTURE.md naming folders that had moved).
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
/** Built, generated or downloaded: never in a checkout, so never a path a document can promise. */
const SKIPPED_DIRS = new Set(["node_modules", "dist", ".git", "models", "results", ".cache", "out", "__pycache__", ".venv"]);
const TOP_LEVEL = new Set(["packages", "infra", "scripts", "stacks", "bench", ".github", ".ci"]);
const SOURCE_FILE = /\.(ts|py)$/;

/** Repo-relative paths of every file and folder in a checkout (folders end with "/"). */
function repoPaths(dir = ""): string[] {
  return readdirSync(path.join(REPO, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = `${dir}${entry.name}`;
    if (!entry.isDirectory()) return [relative];
    return SKIPPED_DIRS.has(entry.name) ? [] : [`${relative}/`, ...repoPaths(`${relative}/`)];
  });
}

/** Placeholders a reader fills in (`stacks/Pulumi.NAME.yaml`), and the conventions' example names. */
const PLACEHOLDER = /\b(NAME|OWNER|REPO|ORG|DIR|CACHE_DIR)\b|^foo\./;
/** A name that is only a path when it ends like one (not `multipart/form-data` or `nvidia.com/gpu`). */
const PATH_ENDING = /(\/|\.(ts|py|md|yaml|json|js|sh))$/;

/** Backticked spans that read as a repository path: no placeholders, URLs, spaces, or paths outside the repo. */
export function pathTokens(line: string): string[] {
  return [...line.matchAll(/`([^`\s]+)`/g)]
    .map((match) => match[1]!)
    .filter((token) => /^[\w.][\w./-]*$/.test(token) && !token.startsWith("../") && !PLACEHOLDER.test(token))
    .filter((token) => !SKIPPED_DIRS.has(token.split("/")[0]!))
    .filter((token) => token.includes("/") || SOURCE_FILE.test(token));
}

interface Checkout {
  readonly paths: ReadonlySet<string>;
  readonly all: readonly string[];
}

/**
 * Where `token` resolves, or undefined. A path from the top (`packages/...`, `scripts/...`) must be exact;
 * `load-test/src/...` is a package under packages/; a README's `src/...` is its own package's; a row of a
 * folder table (`| \`packages/x\` | ...`) names paths inside that folder; any other `dir/file.ts`, `dir/` or bare
 * `file.ts` must end some path in the repository (other names with a slash, such as MIME types, are let through).
 */
export function resolveToken(token: string, checkout: Checkout, base: string): string | undefined {
  const candidates = [token, `${token}/`];
  const exact = (p: string) => candidates.map((c) => (p === "" ? c : `${p}/${c}`)).find((c) => checkout.paths.has(c.replace(/\/\/$/, "/")));
  const first = token.split("/")[0]!;
  if (TOP_LEVEL.has(first)) return exact("");
  if (base !== "") return exact(`${base}/src`) ?? exact(base);
  if (checkout.paths.has(`packages/${first}/`)) return exact("packages");
  if (!PATH_ENDING.test(token)) return token;
  const suffix = token.replace(/\/$/, "");
  return checkout.all.find((p) => p.replace(/\/$/, "").endsWith(`/${suffix}`) || p === suffix);
}

/** The folder a table row is about, when its first cell is one (`| \`packages/x\` | ...`). */
function tableFolder(line: string, checkout: Checkout): string | undefined {
  const row = /^\| `([\w./-]+?)\/?` \|/.exec(line);
  return row && checkout.paths.has(`${row[1]}/`) ? row[1] : undefined;
}

/** In a diagram (an indented block) paths go without backticks: `load-test/src/k6`, `scripts/src/local`. */
export function diagramTokens(line: string): string[] {
  return line.startsWith("    ") ? [...line.matchAll(/(?<![\w/.-])([\w-]+\/src(?:\/[\w.-]+)*\/?)/g)].map((match) => match[1]!) : [];
}

function missingPaths(doc: string, checkout: Checkout): string[] {
  const docPackage = path.posix.dirname(doc) === "." ? "" : path.posix.dirname(doc);
  return readFileSync(path.join(REPO, doc), "utf8")
    .split("\n")
    .flatMap((line, index) => {
      const folder = tableFolder(line, checkout);
      const inDiagram = diagramTokens(line).filter((token) => !resolveToken(token, checkout, ""));
      return [...inDiagram, ...pathTokens(line)]
        .filter((token) => token.replace(/\/$/, "") !== folder)
        .filter((token) => !resolveToken(token, checkout, folder ?? (token.startsWith("src/") ? docPackage : "")))
        .map((token) => `${doc}:${index + 1}: \`${token}\``);
    });
}

describe("paths named in the docs", () => {
  const all = repoPaths();
  const checkout: Checkout = { paths: new Set(all), all };

  it("reads path-like spans and leaves the rest", () => {
    expect(
      pathTokens(
        "see `packages/reports/` and `http/app.ts`, `catalog.ts`, `fleet plan`, `results/NAME-<timestamp>/`, `s3://b/p`, `stacks/Pulumi.NAME.yaml`, `dist/`",
      ),
    ).toEqual(["packages/reports/", "http/app.ts", "catalog.ts"]);
  });

  it("reads package paths in a diagram", () => {
    expect(diagramTokens("        | (fleet-config/src/plan:     |  load: (load-test/src/k6)  | (scripts/src/local)")).toEqual([
      "fleet-config/src/plan",
      "load-test/src/k6",
      "scripts/src/local",
    ]);
    expect(diagramTokens("not indented: load-test/src/k6")).toEqual([]);
  });

  it("resolves a path the way a reader would, and refuses one that moved", () => {
    expect(resolveToken("packages/reports/src/html.ts", checkout, "")).toBe("packages/reports/src/html.ts");
    expect(resolveToken("packages/load-test/src/report/", checkout, "")).toBeUndefined();
    expect(resolveToken("load-test/src/k6/env.ts", checkout, "")).toBe("packages/load-test/src/k6/env.ts");
    expect(resolveToken("report/", checkout, "packages/load-test")).toBeUndefined();
    expect(resolveToken("generator/", checkout, "packages/load-test")).toBe("packages/load-test/src/generator/");
    expect(resolveToken("plan/stack-plan.test.ts", checkout, "")).toBe("packages/fleet-config/src/plan/stack-plan.test.ts");
    expect(resolveToken("scripts/src/matrix/tune-main.ts", checkout, "")).toBeUndefined();
  });

  const docs = ["ARCHITECTURE.md", "README.md", "CONTRIBUTING.md", "scripts/README.md", "packages/model-server/README.md", "packages/reports/README.md"];
  it.each(docs)("%s names only paths that exist", (doc) => {
    expect(missingPaths(doc, checkout)).toEqual([]);
  });
});
