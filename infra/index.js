// Pulumi's ESM loader picks <main>/index.js when it is given the infra/ folder itself; the program
// is the built dist/index.js (`npm run build` first). With "." as the entry it uses package.json's
// exports instead, which point at the same file.
export { default } from "./dist/index.js";
