// Test support for other packages (the package's "./testing" export): k6 results made by the bundled
// script on the stand-in k6 runtime, so a report can be tested on what the cluster path writes.
export { runTwoServerPod } from "./k6/two-servers.test-helper.js";
