/**
 * `natflow provision --preview PLAN_FILE` (docs/preview.md): the preview first, then — once a person has
 * said `yes` on a terminal, or `--yes` was given — the provision workflow, as `terraform apply` does.
 *
 * - not previewable: the validate document, exit 2, nothing started;
 * - the preview would fail (a conflict, an entry that differs): printed, exit 1, nothing started;
 * - no terminal and no `--yes`: refused, exit 2, nothing started (a script must say so explicitly);
 * - an answer other than `yes`: cancelled, exit 1.
 * With `--json` stdout holds one document `{preview, execution}` (`execution` null when nothing was
 * started); the question goes to stderr then.
 */
import { createInterface } from 'node:readline/promises';
import { previewFails } from '../plan/preview.ts';
import type { CloudName } from '../providers/registry.ts';
import { commandCloud, plannedCloud } from './cloud.ts';
import { localPreview, printResult, remotePreview } from './commands/plan.ts';
import { dataDirOf, EXIT_FAILED, EXIT_USAGE, type Output, printJson } from './io.ts';
import { openLocalReader } from './local-store.ts';
import { readPlanFile } from './plan-file.ts';
import { RemoteApi } from './remote/client.ts';
import { bold, red } from './render.ts';
import { renderPreview } from './render-preview.ts';
import { executionName, runWorkflow } from './run-workflow.ts';
import { openSession } from './session.ts';
import { tokenOf } from './token.ts';

/** Where the question is asked: the process's terminal, or a test's. */
export interface Terminal {
  isTTY: boolean;
  ask(question: string): Promise<string>;
}

export const processTerminal: Terminal = {
  isTTY: Boolean(process.stdin.isTTY),
  async ask(question) {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return await rl.question(question);
    } finally {
      rl.close();
    }
  },
};

export interface PreviewFlags {
  json: boolean;
  yes: boolean;
  'no-wait': boolean;
  name?: string | undefined;
  /** `--on-failure`: written into the plan document the workflow takes, as without --preview. */
  onFailure?: 'rollback' | 'keep' | undefined;
  'data-dir'?: string | undefined;
  endpoint?: string | undefined;
  token?: string | undefined;
  /** `--cloud`: the cloud the preview's dry run reads and the workflow provisions into. */
  cloud?: string | undefined;
}

export async function provisionWithPreview(
  file: string,
  flags: PreviewFlags,
  context: { io: Output; env: NodeJS.ProcessEnv },
  terminal: Terminal = processTerminal,
): Promise<number> {
  const { io, env } = context;
  const dataDir = dataDirOf(flags['data-dir'], env);
  const result = flags.endpoint
    ? await remotePreview(new RemoteApi({ endpoint: flags.endpoint, env, token: flags.token }), { file })
    : await localPreview(dataDir, { file }, { flag: flags.cloud, env });
  if (!result.previewable) {
    await printResult(io, result, flags.json, file);
    return EXIT_USAGE;
  }
  const preview = result.preview;
  const nothing = (extra: Record<string, unknown> = {}) =>
    flags.json && printJson(io, { preview, execution: null, ...extra });
  if (!flags.json) io.out(renderPreview(preview));
  if (previewFails(preview)) {
    nothing();
    io.err(red('natflow: the plan would fail (see the conflicts above); nothing was started'));
    return EXIT_FAILED;
  }
  if (!flags.yes) {
    if (!terminal.isTTY) {
      const message = 'provision --preview asks for confirmation on a terminal; without one, give --yes';
      nothing({ error: { code: 'USAGE', message } });
      io.err(`natflow: ${message}; nothing was started`);
      return EXIT_USAGE;
    }
    const answer = await terminal.ask(
      `\n${bold('Do you want to provision these actions?')}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: `,
    );
    if (answer.trim() !== 'yes') {
      nothing();
      io.err('natflow: provisioning cancelled; nothing was started');
      return EXIT_FAILED;
    }
  }
  const read = readPlanFile(file);
  if (!read.ok) throw new Error(`${file} changed while it was previewed`);
  const document = read.plan.document;
  const session = await openSession({
    dataDir,
    endpoint: flags.endpoint,
    env,
    token: tokenOf(flags.token, env),
    warn: io.err,
  });
  try {
    const quiet: Output = { out: () => {}, err: io.err };
    const { doc, exitCode } = await runWorkflow(session, {
      workflow: 'provision',
      // The cloud travels with the plan, as without --preview.
      input: {
        ...(document as Record<string, unknown>),
        cloud: await cloudOfPlan(flags, env, document, dataDir),
        ...(flags.onFailure === undefined ? {} : { onFailure: flags.onFailure }),
      },
      name: flags.name ?? executionName('provision', { name: preview.plan }),
      json: flags.json,
      wait: !flags['no-wait'],
      io: flags.json ? quiet : io,
    });
    if (flags.json) printJson(io, { preview, execution: doc });
    return exitCode;
  } finally {
    await session.close();
  }
}

/** The cloud the preview read (`plannedCloud` over this data directory's ledger; another stack: the flags'). */
async function cloudOfPlan(
  flags: PreviewFlags,
  env: NodeJS.ProcessEnv,
  document: unknown,
  dataDir: string,
): Promise<CloudName> {
  if (flags.endpoint) return commandCloud(flags, env, document);
  const store = openLocalReader(dataDir);
  try {
    return await plannedCloud(flags, env, document, store);
  } finally {
    await store.close();
  }
}
