/**
 * `natflow <command> [args]`: finds the command in the table (`commands.ts`) and runs it. Commands live
 * one per file, loaded only when they run, and each loads what its work needs only once its arguments
 * are read — so `natflow --help`, a command's `--help` and a usage error answer at once (docs/cli.md
 * "Start-up").
 */
import { COMMAND_NAMES, COMMANDS } from './commands.ts';
import {
  type CommandContext,
  EXIT_OK,
  EXIT_USAGE,
  type Output,
  processOutput,
  reportError,
  UsageError,
} from './io.ts';

function help(): string {
  const lines = ['usage: natflow <command> [options]', '', 'commands:'];
  for (const name of COMMAND_NAMES) lines.push(`  ${name.padEnd(12)} ${COMMANDS[name]?.summary ?? ''}`);
  lines.push(
    '',
    "Every command takes --json (one JSON document on stdout); 'natflow <command> --help' for its usage.",
    'Exit codes: 0 success, 1 the workflow or verification failed, 2 bad input or usage.',
  );
  return lines.join('\n');
}

const isHelp = (arg: string | undefined) => arg === '--help' || arg === '-h';

export async function main(
  argv: string[],
  io: Output = processOutput,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const json = argv.includes('--json');
  const [name, ...rest] = argv;
  if (name === undefined || isHelp(name) || (name === 'help' && rest.length === 0)) {
    if (name === undefined) {
      io.err(help());
      return EXIT_USAGE;
    }
    io.out(help());
    return EXIT_OK;
  }
  try {
    // `natflow help validate` is `natflow validate --help`.
    const [commandName, args] = name === 'help' ? [rest[0] as string, ['--help']] : [name, rest];
    const entry = Object.hasOwn(COMMANDS, commandName) ? COMMANDS[commandName] : undefined;
    if (!entry) {
      throw new UsageError(
        `unknown command '${commandName}'; the commands are ${COMMAND_NAMES.join(', ')} ('natflow --help' says what each does)`,
      );
    }
    const command = (await entry.load()).default;
    if (args.some(isHelp)) {
      io.out(command.usage);
      return EXIT_OK;
    }
    const context: CommandContext = { argv: args, io, env };
    // --endpoint: the command runs against that stack's HTTP API (src/cli/remote/commands.ts).
    if (args.some((arg) => arg === '--endpoint' || arg.startsWith('--endpoint='))) {
      const { runRemote } = await import('./remote/commands.ts');
      return await runRemote(commandName, args, io, env);
    }
    return await command.run(context);
  } catch (error) {
    return reportError(io, error, json);
  }
}
