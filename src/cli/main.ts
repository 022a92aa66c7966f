/**
 * `natflow <command> [args]`: finds `commands/<command>.ts` and runs it. Commands live one per file so
 * each stays small and loads only what it needs (a cold `natflow validate` does not load the runtime).
 */
import { readdirSync } from 'node:fs';
import {
  type Command,
  type CommandContext,
  EXIT_USAGE,
  type Output,
  processOutput,
  reportError,
} from './io.ts';

const COMMANDS_DIR = new URL('./commands/', import.meta.url);

function commandNames(): string[] {
  return readdirSync(COMMANDS_DIR)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
    .map((file) => file.slice(0, -3))
    .sort();
}

async function loadCommand(name: string): Promise<Command | undefined> {
  if (!/^[a-z][a-z-]*$/.test(name) || !commandNames().includes(name)) return undefined;
  const module = (await import(new URL(`${name}.ts`, COMMANDS_DIR).href)) as { default: Command };
  return module.default;
}

async function printHelp(io: Output): Promise<void> {
  const lines = ['usage: natflow <command> [options]', '', 'commands:'];
  for (const name of commandNames()) {
    const command = await loadCommand(name);
    if (command) lines.push(`  ${name.padEnd(12)} ${command.summary}`);
  }
  lines.push(
    '',
    "Every command takes --json (one JSON document on stdout); 'natflow <command> --help' for its usage.",
  );
  lines.push('Exit codes: 0 success, 1 the workflow or verification failed, 2 bad input or usage.');
  io.out(lines.join('\n'));
}

export async function main(
  argv: string[],
  io: Output = processOutput,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    await printHelp(io);
    return name === undefined ? EXIT_USAGE : 0;
  }
  const command = await loadCommand(name);
  if (!command) {
    io.err(`natflow: unknown command '${name}'; run 'natflow --help' for the list`);
    return EXIT_USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.usage);
    return 0;
  }
  const context: CommandContext = { argv: rest, io, env };
  try {
    // --endpoint: the command runs against that stack's HTTP API (src/cli/remote/commands.ts).
    if (rest.some((arg) => arg === '--endpoint' || arg.startsWith('--endpoint='))) {
      const { runRemote } = await import('./remote/commands.ts');
      return await runRemote(name, rest, io, env);
    }
    return await command.run(context);
  } catch (error) {
    return reportError(io, error, rest.includes('--json'));
  }
}
