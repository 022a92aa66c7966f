import type { PlacedIssue } from '../../plan/source.ts';
import type { ValidationSummary } from '../../plan/validate.ts';
import { CLOUD_FLAG } from '../cloud.ts';
import {
  type Command,
  dataDirOf,
  EXIT_OK,
  EXIT_USAGE,
  type Output,
  parseFlags,
  printJson,
  UsageError,
} from '../io.ts';
import { green, red } from '../render.ts';

const usage = `usage: natflow validate PLAN_FILE ${CLOUD_FLAG} [--json] [--data-dir DIR]

Checks a plan (YAML or JSON) without changing anything: its shape (unknown fields are errors), its names
and references, then a dry run of every rule of the virtual cloud against the current store (so
'existing' references resolve and conflicts with what is already provisioned show up now). Lists every
problem at once — shape errors and unresolved references together — with its path, code, and the line
and column in the file. Prints {valid, errors:[{path, code, message, line?, column?}], summary}.
On a real cloud (--cloud, or the plan's cloud:, or NATFLOW_CLOUD) the dry run runs against natflow's
model of that account, refreshed through its API.
Exit 0 when the plan is valid, 2 when it is not (FILE_NOT_FOUND for a missing file, MALFORMED_PLAN for
one that is not YAML or JSON).`;

interface ValidateDocument {
  valid: boolean;
  errors: PlacedIssue[];
  summary?: ValidationSummary;
}

const command: Command = {
  usage,
  async run({ argv, io, env }) {
    const { values, positionals } = parseFlags(argv, {});
    const [file, ...extra] = positionals;
    if (!file || extra.length > 0) throw new UsageError(`expected one PLAN_FILE\n${usage}`);
    const document = await validateFile(file, dataDirOf(values['data-dir'], env), env, values.cloud);
    if (values.json) printJson(io, document);
    else printHuman(io, file, document);
    return document.valid ? EXIT_OK : EXIT_USAGE;
  },
};

/** The plan file against its cloud's current state: a real cloud's dry run refreshes natflow's model first. */
async function validateFile(
  file: string,
  dataDir: string,
  env: NodeJS.ProcessEnv,
  cloudFlag: string | undefined,
): Promise<ValidateDocument> {
  const [
    { validatePlanFile },
    { can },
    { openLocalReader, openLocalStore },
    { dryRunSourceOf, plannedCloud },
  ] = await Promise.all([
    import('../plan-file.ts'),
    import('../../providers/registry.ts'),
    import('../local-store.ts'),
    import('../cloud.ts'),
  ]);
  let opened: { close(): Promise<void> } | undefined;
  try {
    const result = await validatePlanFile(async (plan) => {
      // --cloud, the plan's cloud:, NATFLOW_CLOUD, else where the plan's resources are recorded.
      const reader = openLocalReader(dataDir);
      const cloud = await plannedCloud({ cloud: cloudFlag }, env, plan, reader).finally(() => reader.close());
      // A real cloud's dry run refreshes natflow's model of it first, so it needs the writable store.
      const store = can(cloud, 'realCloud') ? openLocalStore(dataDir) : openLocalReader(dataDir);
      opened = store;
      return dryRunSourceOf(cloud, store, env);
    }, file);
    return {
      valid: result.valid,
      errors: result.errors,
      ...(result.summary ? { summary: result.summary } : {}),
    };
  } finally {
    await opened?.close();
  }
}

function printHuman(io: Output, file: string, document: ValidateDocument): void {
  if (!document.valid) {
    const n = document.errors.length;
    io.out(red(`✗ ${file} is not a valid plan (${n} problem${n === 1 ? '' : 's'}):`));
    for (const issue of document.errors) {
      const where = issue.line === undefined ? '' : ` (line ${issue.line}, column ${issue.column})`;
      const [head, ...rest] = issue.message.split('\n');
      io.out(`  ${issue.path || '(root)'}: ${issue.code}: ${head}${where}`);
      for (const line of rest) io.out(`      ${line}`);
    }
    return;
  }
  const summary = document.summary;
  if (!summary) {
    io.out(green(`✓ ${file} is a valid plan`));
    return;
  }
  const parts = [`${summary.toCreate} resource${summary.toCreate === 1 ? '' : 's'} to create`];
  if (summary.alreadyProvisioned > 0) parts.push(`${summary.alreadyProvisioned} already provisioned`);
  if (summary.existing > 0) parts.push(`${summary.existing} existing referenced`);
  io.out(green(`✓ plan ${summary.plan} is valid: ${parts.join(', ')}`));
  const entries = Object.entries(summary.entries).filter(([, count]) => count > 0);
  if (entries.length > 0)
    io.out(`  entries: ${entries.map(([kind, count]) => `${kind} ${count}`).join(', ')}`);
  for (const [entry, address] of Object.entries(summary.addresses))
    io.out(`  ${entry.padEnd(40)} ${address}`);
}

export default command;
