import type { Command } from "../command.js";

// Each command lives in its own file in this folder; add it to this list to expose it.
export const commands: Command[] = [];
