import type { PreviewResult } from '../../plan/preview.ts';
import type { PreviewDocument } from '../../plan/preview-common.ts';
import type { PlacedIssue } from '../../plan/source.ts';
import { CLOUD_FLAG, dryRunSourceOf, plannedCloud } from '../cloud.ts';
import { type Command, dataDirOf, type Output, parseFlags, printJson, UsageError } from '../io.ts';
import type { RemoteApi } from '../remote/client.ts';
import { red } from '../render.ts';

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
cloud:, or NATFLOW_CLOUD, or where the plan's resources are recorded) the dry run reads that account
first (refreshed through its API) and reads back everything the plan recorded there: a resource gone
from the cloud is + create (gone from the cloud), a managed field changed there is ~ drifted with
field: recorded → actual (exit 0, or 3 with --detailed-exitcode), and a change only a replacement would
repair is ! conflict DRIFT_REQUIRES_REPLACE (exit 1).`;

const command: Command = {
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
    let result: PreviewResult;
    if (values.endpoint) {
      const { RemoteApi } = await import('../remote/client.ts');
      result = await remotePreview(
        new RemoteApi({ endpoint: values.endpoint, env, token: values.token }),
        request,
      );
    } else
      result = await localPreview(dataDirOf(values['data-dir'], env), request, { flag: values.cloud, env });
    await printResult(io, result, values.json, 'file' in request ? request.file : request.destroy);
    const { previewExitCode } = await import('../../plan/preview.ts');
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
  const [{ previewDestroy, previewPlan }, { steps }, { openLocalReader }, { readPlanFile, placed }] =
    await Promise.all([
      import('../../plan/preview.ts'),
      import('../../workflow/steps/index.ts'),
      import('../local-store.ts'),
      import('../plan-file.ts'),
    ]);
  let read: Awaited<ReturnType<typeof readPlanFile>> | undefined;
  if ('file' in request) {
    read = readPlanFile(request.file);
    if (!read.ok) return { previewable: false, errors: read.errors };
  }
  const store = openLocalReader(dataDir);
  try {
    if (!read?.ok) return await previewDestroy(store, (request as { destroy: string }).destroy);
    // The chosen cloud's dry run: the store itself for the virtual cloud, a refreshed model otherwise.
    const env = selection.env ?? {};
    const document = read.plan.document;
    const cloud = await plannedCloud({ cloud: selection.flag }, env, document, store);
    const result = await previewPlan(await dryRunSourceOf(cloud, store, env), document, { steps });
    // Problems that keep the plan from a preview carry the line and column where they sit.
    return result.previewable ? result : { previewable: false, errors: placed(result.errors, read.plan) };
  } finally {
    await store.close();
  }
}

/** POST /plans/preview on another stack; a 422 or 404 problem is "not previewable". */
export async function remotePreview(api: RemoteApi, request: Request): Promise<PreviewResult> {
  let body: unknown;
  if ('file' in request) {
    const { readPlanFile } = await import('../plan-file.ts');
    const read = readPlanFile(request.file);
    if (!read.ok) return { previewable: false, errors: read.errors };
    body = { plan: read.plan.document };
  } else body = { destroy: request.destroy };
  try {
    return {
      previewable: true,
      preview: await api.request<PreviewDocument>('POST', '/plans/preview', { body }),
    };
  } catch (error) {
    const { RemoteProblem } = await import('../remote/client.ts');
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

export async function printResult(
  io: Output,
  result: PreviewResult,
  json: boolean,
  what: string,
): Promise<void> {
  if (!result.previewable) {
    if (json) printJson(io, { valid: false, errors: result.errors });
    else {
      const { issueLine } = await import('../plan-file.ts');
      io.err(red(`natflow: ${what} cannot be previewed; nothing was read into a preview`));
      for (const e of result.errors as PlacedIssue[]) io.err(issueLine(e));
    }
    return;
  }
  if (json) printJson(io, result.preview);
  else {
    const { renderPreview } = await import('../render-preview.ts');
    io.out(renderPreview(result.preview));
  }
}

export default command;
