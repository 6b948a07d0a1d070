import { didYouMean } from "@inference-fleet/fleet-config";
import { helpText, parseCommandArgs, UsageError, type Command } from "./command.js";
import { commands as registered } from "./commands/index.js";

function overview(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.path.join(" ").length)) + 2;
  return [
    "Usage: fleet <command> [options]",
    "",
    "Find the cheapest way to serve a model at a latency target: run fleets locally or on Amazon EKS.",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.path.join(" ").padEnd(width)}${c.summary}`),
    "",
    "Run `fleet <command> --help` for the options of a command.",
  ].join("\n");
}

/** Picks the command whose path is the longest prefix of argv. */
function findCommand(commands: readonly Command[], argv: readonly string[]): Command | undefined {
  return [...commands].sort((a, b) => b.path.length - a.path.length).find((c) => c.path.every((word, i) => argv[i] === word));
}

/** Runs the CLI and returns the process exit code; never throws for user errors. */
export async function main(argv: string[], commands: readonly Command[] = registered): Promise<number> {
  const command = findCommand(commands, argv);
  if (!command) {
    // The command is the words before the first option: in `fleet locl --stack dev`, "locl", not "locl dev".
    const firstOption = argv.findIndex((a) => a.startsWith("-"));
    const asked = (firstOption === -1 ? argv : argv.slice(0, firstOption)).join(" ");
    if (asked && !argv.includes("--help")) {
      const hint = didYouMean(
        asked,
        commands.map((c) => c.path.join(" ")),
      ).replace(/"([^"]+)"/g, '"fleet $1"');
      console.error(`fleet: unknown command "${asked}".${hint}\n`);
      console.error(overview(commands));
      return 2;
    }
    console.log(overview(commands));
    return 0;
  }
  const rest = argv.slice(command.path.length);
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(helpText(command));
    return 0;
  }
  try {
    return await command.run(parseCommandArgs(command, rest) as never);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`fleet ${command.path.join(" ")}: ${error.message}\nRun \`fleet ${command.path.join(" ")} --help\` for the options.`);
      return 2;
    }
    console.error(`fleet ${command.path.join(" ")}: ${(error as Error).message}`);
    if (process.env.FLEET_DEBUG) console.error(error);
    return 1;
  }
}
