// The process entry: `node packages/model-server/dist/main.js` in the container, configured by environment variables.
import { main } from "./serve-process.js";

void main();
