#!/usr/bin/env node
// The `natflow` command. A plain .js entry because Node strips no TypeScript types under node_modules;
// in a checkout it loads the TypeScript sources directly (Node >= 22.18 strips types by default), through
// fast-start.js's cache of stripped sources (docs/cli.md "Start-up").
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  const message = `natflow needs Node.js >= 22.18 (this is ${process.versions.node}); run it through npm (npx natflow, npm start), which uses the pinned Node.`;
  if (process.argv.includes('--json')) {
    const issue = { path: '', code: 'USAGE', message };
    process.stdout.write(
      `${JSON.stringify({ error: { code: 'USAGE', message, errors: [issue] } }, null, 2)}\n`,
    );
  } else process.stderr.write(`${message}\n`);
  process.exit(2);
}
const { installFastStart } = await import('./fast-start.js');
installFastStart();
await import('../src/stack/quiet-warnings.ts');
// The handlers' logs — where the traces of their failures go (docs/real-cloud.md#failure) — stay off in
// the CLI's output unless NATFLOW_LOG_LEVEL (or POWERTOOLS_LOG_LEVEL) asks for them on stderr.
if (!process.env.NATFLOW_LOG_LEVEL && !process.env.POWERTOOLS_LOG_LEVEL)
  process.env.NATFLOW_LOG_LEVEL = 'SILENT';
// `natflow … | head` closes stdout early: that is the reader's choice, not an error of ours.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
