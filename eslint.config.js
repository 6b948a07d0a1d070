// Lint for every TypeScript source, test and bench file: ESLint's and typescript-eslint's recommended rules,
// lines of at most 160 characters (Prettier formats to that width; max-len also holds strings and comments to it),
// and functions of at most 60 lines.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "models/**", "results/**", "bench/out/**", "**/*.d.ts", "**/*.js", "**/*.cjs", "**/*.mjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      "max-len": ["error", { code: 160, ignoreUrls: true, ignoreRegExpLiterals: true }],
      // `_name` marks a value taken to be left out (rest destructuring, unused callback parameters).
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
    },
  },
  {
    // No function over 60 lines (blank lines and comments aside) outside bench/ and test code: a longer one holds
    // several ideas, so split it into named steps (issue #24). Test support (testing/, fixtures, helpers) is held
    // to it too; only test files are exempt, as their describe() blocks are long by nature.
    files: ["**/*.ts"],
    ignores: ["bench/**", "**/*.test.ts"],
    rules: { "max-lines-per-function": ["error", { max: 60, skipBlankLines: true, skipComments: true }] },
  },
  {
    // Policy-pack props and mocked resource inputs are untyped JSON from the Pulumi engine: `any` is their honest type.
    files: ["infra/src/policy/**/*.ts", "infra/src/testing/**/*.ts", "infra/src/**/*.test.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
);
