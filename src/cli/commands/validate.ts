import { readFileSync } from 'node:fs';
import { type Issue, MalformedPlanError } from '../../cloud/errors.ts';
import type { StoreReader } from '../../cloud/store.ts';
import { parsePlanText } from '../../plan/plan.ts';
import { type ValidationSummary, validatePlan } from '../../plan/validate.ts';
import { type CloudName, can } from '../../providers/registry.ts';
import { steps } from '../../workflow/steps/index.ts';
import { CLOUD_FLAG, dryRunSourceOf, plannedCloud } from '../cloud.ts';
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
import { openLocalReader, openLocalStore } from '../local-store.ts';
import { green, red } from '../render.ts';

const usage = `usage: natflow validate PLAN_FILE ${CLOUD_FLAG} [--json] [--data-dir DIR]

Checks a plan (YAML or JSON) without changing anything: its shape (unknown fields are errors), its names
and references, then a dry run of every rule of the virtual cloud against the current store (so
'existing' references resolve and conflicts with what is already provisioned show up now). Lists every
problem with its path and code. Prints {valid, errors:[{path, code, message}], summary}.
On a real cloud (--cloud, or the plan's cloud:, or NATFLOW_CLOUD) the dry run runs against natflow's
model of that account, refreshed through its API for what the plan references.
Exit 0 when the plan is valid, 2 when it is not (or the file is missing or not YAML/JSON).`;

interface ValidateDocument {
  valid: boolean;
  errors: Issue[];
  summary?: ValidationSummary;
}

const command: Command = {
  summary: 'check a plan file: shape, names and a dry run of every rule',
  usage,
  async run({ argv, io, env }) {
    const { values, positionals } = parseFlags(argv, {});
    const [file, ...extra] = positionals;
    if (!file || extra.length > 0) throw new UsageError(`expected one PLAN_FILE\n${usage}`);

    const document = await validateFile(file, dataDirOf(values['data-dir'], env), env, (plan, store) =>
      plannedCloud(values, env, plan, store),
    );
    if (values.json) printJson(io, document);
    else printHuman(io, file, document);
    return document.valid ? EXIT_OK : EXIT_USAGE;
  },
};

async function validateFile(
  file: string,
  dataDir: string,
  env: NodeJS.ProcessEnv,
  cloudOf: (plan: unknown, store: StoreReader) => Promise<CloudName>,
): Promise<ValidateDocument> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT'
        ? `plan file ${file} does not exist`
        : code === 'EISDIR'
          ? `${file} is a directory, not a plan file`
          : `cannot read plan file ${file} (${code})`;
    return { valid: false, errors: [{ path: '', code: 'NOT_FOUND', message }] };
  }
  let input: unknown;
  try {
    input = parsePlanText(text);
  } catch (error) {
    if (error instanceof MalformedPlanError) return { valid: false, errors: [error.toIssue()] };
    throw error;
  }
  const reader = openLocalReader(dataDir);
  const cloud = await cloudOf(input, reader).finally(() => reader.close());
  // A real cloud's dry run refreshes natflow's model of it first, so it needs the writable store.
  const store = can(cloud, 'realCloud') ? openLocalStore(dataDir) : openLocalReader(dataDir);
  try {
    const result = await validatePlan(await dryRunSourceOf(cloud, store, env), input, { steps });
    return {
      valid: result.valid,
      errors: result.errors,
      ...(result.summary ? { summary: result.summary } : {}),
    };
  } finally {
    await store.close();
  }
}

function printHuman(io: Output, file: string, document: ValidateDocument): void {
  if (!document.valid) {
    const n = document.errors.length;
    io.out(red(`✗ ${file} is not a valid plan (${n} problem${n === 1 ? '' : 's'}):`));
    for (const issue of document.errors)
      io.out(`  ${issue.path || '(root)'}: ${issue.code}: ${issue.message}`);
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
