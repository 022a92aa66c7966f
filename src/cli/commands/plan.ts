import { readFileSync } from 'node:fs';
import { type Issue, MalformedPlanError } from '../../cloud/errors.ts';
import { parsePlanText } from '../../plan/plan.ts';
import { type PreviewResult, previewDestroy, previewExitCode, previewPlan } from '../../plan/preview.ts';
import type { PreviewDocument } from '../../plan/preview-common.ts';
import { steps } from '../../workflow/steps/index.ts';
import { CLOUD_FLAG, commandCloud, dryRunSourceOf } from '../cloud.ts';
import { type Command, dataDirOf, type Output, parseFlags, printJson, UsageError } from '../io.ts';
import { openLocalReader } from '../local-store.ts';
import { RemoteApi, RemoteProblem } from '../remote/client.ts';
import { red } from '../render.ts';
import { renderPreview } from '../render-preview.ts';

const usage = `usage: natflow plan PLAN_FILE ${CLOUD_FLAG} [--detailed-exitcode] [--json]
                    [--data-dir DIR] [--endpoint URL]
       natflow plan --destroy PLAN_NAME [--detailed-exitcode] [--json] [--data-dir DIR] [--endpoint URL]

Shows what provisioning the plan (or, with --destroy, tearing it down) would do, without creating
anything or starting an execution: each resource entry's action (+ create, = unchanged, ~ differs,
! conflict with its code, · existing, - destroy), and every path the plan's DNAT rules touch — each
server in the transit IP's VPC × each rule's transport and port — opened, closed or still closed (with
the code that blocks it). Prints {actions, summary, reachability} with --json.
Exit 0 the plan applies cleanly, 1 it would fail (a conflict or an entry that differs), 2 it cannot be
previewed (not a plan: the validate document). With --detailed-exitcode a clean plan exits 0 when it
would change nothing and 3 when it would change something. On a real cloud (--cloud, or the plan's
cloud:, or NATFLOW_CLOUD) the dry run reads that account first (refreshed through its API).`;

const command: Command = {
  summary: 'preview a plan: actions, conflicts and the paths it opens or closes',
  usage,
  async run({ argv, io, env }) {
    const { values, positionals } = parseFlags(argv, {
      destroy: { type: 'string' },
      'detailed-exitcode': { type: 'boolean', default: false },
    });
    const destroy = values.destroy;
    if (destroy !== undefined ? positionals.length > 0 : positionals.length !== 1)
      throw new UsageError(`expected one PLAN_FILE, or --destroy PLAN_NAME\n${usage}`);
    const request: Request =
      destroy === undefined ? { file: positionals[0] as string } : { destroy: destroy as string };
    const result = values.endpoint
      ? await remotePreview(new RemoteApi({ endpoint: values.endpoint, env, token: values.token }), request)
      : await localPreview(dataDirOf(values['data-dir'], env), request, { flag: values.cloud, env });
    printResult(io, result, values.json, 'file' in request ? request.file : request.destroy);
    return previewExitCode(result, values['detailed-exitcode']);
  },
};

type Request = { file: string } | { destroy: string };

/** The preview of a plan file or a teardown against this data directory's store (read only). */
export async function localPreview(
  dataDir: string,
  request: Request,
  selection: { flag?: string | undefined; env?: NodeJS.ProcessEnv } = {},
): Promise<PreviewResult> {
  let document: unknown;
  if ('file' in request) {
    const read = readPlanDocument(request.file);
    if ('errors' in read) return { previewable: false, errors: read.errors };
    document = read.document;
  }
  const store = openLocalReader(dataDir);
  try {
    if (!('file' in request)) return await previewDestroy(store, request.destroy);
    // The chosen cloud's dry run: the store itself for the virtual cloud, a refreshed model otherwise.
    const env = selection.env ?? {};
    const cloud = commandCloud({ cloud: selection.flag }, env, document);
    return await previewPlan(await dryRunSourceOf(cloud, store, env), document, { steps });
  } finally {
    await store.close();
  }
}

/** A plan file's document, or the one problem that keeps it from being one (validate's wording). */
export function readPlanDocument(file: string): { document: unknown } | { errors: Issue[] } {
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
    return { errors: [{ path: '', code: 'NOT_FOUND', message }] };
  }
  try {
    return { document: parsePlanText(text) };
  } catch (error) {
    if (error instanceof MalformedPlanError) return { errors: [error.toIssue()] };
    throw error;
  }
}

/** POST /plans/preview on another stack; a 422 or 404 problem is "not previewable". */
export async function remotePreview(api: RemoteApi, request: Request): Promise<PreviewResult> {
  let body: unknown;
  if ('file' in request) {
    const read = readPlanDocument(request.file);
    if ('errors' in read) return { previewable: false, errors: read.errors };
    body = { plan: read.document };
  } else body = { destroy: request.destroy };
  try {
    return {
      previewable: true,
      preview: await api.request<PreviewDocument>('POST', '/plans/preview', { body }),
    };
  } catch (error) {
    // Not previewable (422: shape errors; 404: --destroy of an unknown plan): the validate document.
    if (error instanceof RemoteProblem && (error.status === 422 || error.status === 404))
      return {
        previewable: false,
        errors:
          error.issues.length > 0 ? error.issues : [{ path: '', code: error.name, message: error.message }],
      };
    throw error;
  }
}

export function printResult(io: Output, result: PreviewResult, json: boolean, what: string): void {
  if (!result.previewable) {
    if (json) printJson(io, { valid: false, errors: result.errors });
    else {
      io.err(red(`natflow: ${what} cannot be previewed; nothing was read into a preview`));
      for (const e of result.errors) io.err(`  ${e.path || '(root)'}: ${e.code}: ${e.message}`);
    }
    return;
  }
  if (json) printJson(io, result.preview);
  else io.out(renderPreview(result.preview));
}

export default command;
