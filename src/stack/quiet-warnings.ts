/**
 * node:sqlite works as natflow uses it but is still flagged experimental on Node 22, and says so on
 * stderr at its first use. Entry points (the CLI, the benchmarks) import this once to keep that one
 * notice out of output people and scripts read; every other warning is emitted as usual.
 */
const emitWarning = process.emitWarning.bind(process);

process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const text = typeof warning === 'string' ? warning : warning?.message;
  if (typeof text === 'string' && text.includes('SQLite is an experimental feature')) return;
  return (emitWarning as (w: string | Error, ...r: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;
