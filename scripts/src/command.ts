import { parseArgs, type ParseArgsConfig } from "node:util";

/** Options of one command, in node:util parseArgs form plus a description per option for --help. */
export type OptionSpec = NonNullable<ParseArgsConfig["options"]>[string] & {
  /** One line shown by --help. */
  readonly description: string;
  /** Placeholder shown by --help for string options, e.g. "DIR". */
  readonly valueName?: string;
};

export interface Command<O extends Record<string, OptionSpec> = Record<string, OptionSpec>> {
  /** Words that select the command, e.g. ["model", "generate"]. */
  readonly path: readonly string[];
  readonly summary: string;
  /** Longer text shown by --help under the usage line (examples, environment variables). */
  readonly details?: string;
  readonly options: O;
  /** Whether bare arguments after the options are accepted (e.g. result files). */
  readonly positionals?: string;
  run(args: ParsedArgs<O>): Promise<number>;
}

export type ParsedArgs<O extends Record<string, OptionSpec>> = {
  values: { [K in keyof O]?: O[K]["type"] extends "boolean" ? boolean : O[K]["multiple"] extends true ? string[] : string };
  positionals: string[];
};

/** A user mistake on the command line: printed as a message with a pointer to --help, exit code 2. */
export class UsageError extends Error {}

/** Keeps each command's option types when commands are collected in one list. */
export function defineCommand<O extends Record<string, OptionSpec>>(command: Command<O>): Command {
  return command as unknown as Command;
}

export function helpText(command: Command): string {
  const lines = [`Usage: fleet ${command.path.join(" ")} [options]${command.positionals ? ` ${command.positionals}` : ""}`, "", command.summary];
  if (command.details) lines.push("", command.details.trim());
  lines.push("", "Options:");
  const rows = Object.entries(command.options).map(([name, spec]) => {
    const flag = `--${name}${spec.type === "string" ? ` ${spec.valueName ?? "VALUE"}` : ""}`;
    const dflt = spec.default !== undefined ? ` (default: ${String(spec.default)})` : "";
    return [flag, `${spec.description}${dflt}`] as const;
  });
  rows.push(["--help", "Show this help."]);
  const width = Math.max(...rows.map(([flag]) => flag.length)) + 2;
  for (const [flag, text] of rows) lines.push(`  ${flag.padEnd(width)}${text}`);
  return lines.join("\n");
}

export function parseCommandArgs(command: Command, argv: string[]): ParsedArgs<Record<string, OptionSpec>> {
  const options: NonNullable<ParseArgsConfig["options"]> = {};
  for (const [name, spec] of Object.entries(command.options)) {
    const { description: _d, valueName: _v, ...rest } = spec;
    options[name] = rest;
  }
  try {
    const parsed = parseArgs({ args: argv, options, allowPositionals: Boolean(command.positionals), strict: true });
    return parsed as ParsedArgs<Record<string, OptionSpec>>;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
