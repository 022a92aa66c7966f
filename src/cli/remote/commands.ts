/**
 * `--endpoint URL`: every command talks to that stack's HTTP API (docs/http-api.md) through `RemoteApi` —
 * no local store, no Step Functions protocol — and prints the same documents (docs/cli.md) with the same exit
 * codes as on the embedded stack. Signed with SigV4 for API Gateway hosts or with `--sigv4`.
 * A deployed stack has no live data plane: probes there analyse only, and commands that need the local
 * stack (`up`, `freeze`, `unfreeze`, `import`) say so.
 */
import { parseArgs } from 'node:util';
import { causeObjectOf, type FailureDocument } from '../../codes/failure.ts';
import { previewExitCode } from '../../plan/preview.ts';
import { printResult, remotePreview } from '../commands/plan.ts';
import { type PlanRow, printPlans } from '../commands/plans.ts';
import { planOf } from '../commands/teardown.ts';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type Output, printJson, UsageError } from '../io.ts';
import { isNothing, printNothingToTearDown } from '../nothing.ts';
import { placed, planDocumentOf, readPlanFile } from '../plan-file.ts';
import { describeExecution, table, verificationDocument } from '../render.ts';
import type { ExecutionDocument } from '../session.ts';
import { RemoteApi, RemoteProblem } from './client.ts';

const ANALYSE_ONLY = 'a deployed stack has no live data plane: it analyses only (use --mode analyze)';
const LOCAL_ONLY = new Map([
  ['up', 'starts a local stack; it does not drive a deployed one'],
  ['freeze', 'freezes through the local control plane; the HTTP API has no freeze route'],
  ['unfreeze', 'unfreezes through the local control plane; the HTTP API has no unfreeze route'],
  ['import', 'imports into the local store; run it where the store is'],
]);

/** True when argv names an endpoint (`--endpoint URL` or `--endpoint=URL`). */
export function wantsEndpoint(argv: readonly string[]): boolean {
  return argv.some((arg) => arg === '--endpoint' || arg.startsWith('--endpoint='));
}

interface Flags {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

function flags(argv: string[]): Flags {
  try {
    const parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: false,
      options: {
        endpoint: { type: 'string' },
        sigv4: { type: 'boolean' },
        json: { type: 'boolean' },
        'no-wait': { type: 'boolean' },
        'detailed-exitcode': { type: 'boolean' },
        preview: { type: 'boolean' },
        ...Object.fromEntries(
          [
            'workflow',
            'status',
            'limit',
            'type',
            'plan',
            'destroy',
            'mode',
            'from',
            'to',
            'protocol',
            'expect',
            'gateway',
            'timeout',
            'data-dir',
            'cloud',
            'token',
          ].map((name) => [name, { type: 'string' as const }]),
        ),
      },
    });
    return { values: parsed.values as Flags['values'], positionals: parsed.positionals };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

const str = (value: string | boolean | undefined) => (typeof value === 'string' ? value : undefined);

/** Runs `name` against the stack at --endpoint; returns the exit code. */
export async function runRemote(
  name: string,
  argv: string[],
  io: Output,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const { values, positionals } = flags(argv);
  const endpoint = str(values.endpoint);
  if (!endpoint) throw new UsageError('--endpoint needs a URL');
  const json = values.json === true;
  const localOnly = LOCAL_ONLY.get(name);
  if (localOnly) throw new UsageError(`natflow ${name} ${localOnly}`);
  const api = new RemoteApi({ endpoint, sigv4: values.sigv4 === true, env, token: str(values.token) });
  switch (name) {
    case 'validate':
      return validate(api, io, json, requiredArg(positionals, 'PLAN_FILE'));
    case 'provision': {
      if (values.preview === true)
        throw new UsageError(
          'provision --preview is not available with --endpoint yet: run natflow plan --endpoint URL PLAN_FILE, then natflow provision --endpoint URL PLAN_FILE',
        );
      const plan = planDocumentOf(requiredArg(positionals, 'PLAN_FILE'));
      return startAndFollow(api, io, json, 'provision', plan, values['no-wait'] === true);
    }
    case 'teardown': {
      // A plan file or a plan's name, as without --endpoint.
      const plan = await planOf(requiredArg(positionals, 'PLAN_FILE or PLAN_NAME'));
      return startAndFollow(api, io, json, 'teardown', { plan }, values['no-wait'] === true);
    }
    case 'plans': {
      const answer = await api.request<{ plans: PlanRow[] }>('GET', '/plans');
      if (json) printJson(io, answer);
      else printPlans(io, answer.plans);
      return EXIT_OK;
    }
    case 'verify': {
      const plan = positionals[0];
      return startAndFollow(api, io, json, 'verify', plan ? { plan } : {}, false);
    }
    case 'executions':
      return executions(api, io, json, positionals, values);
    case 'resources': {
      const answer = await api.request<{ resources: Record<string, unknown>[] }>('GET', '/resources', {
        query: { type: str(values.type), plan: str(values.plan) },
      });
      if (json) printJson(io, answer);
      else
        io.out(
          table(
            ['ID', 'TYPE', 'NAME', 'PLAN', 'STATUS'],
            answer.resources.map((r) =>
              [r.id, r.type, r.name, r.plan ?? '', r.status].map((v) => String(v ?? '')),
            ),
          ),
        );
      return EXIT_OK;
    }
    case 'evaluate': {
      const { parseCommandLine } = await import('../commands/evaluate.ts');
      const { request } = parseCommandLine(
        argv.filter((a) => a !== '--sigv4'),
        env,
      );
      const answer = await api.request<{ results: { verdict: string }[] }>('POST', '/dnat/evaluate', {
        body: request,
      });
      printJson(io, answer);
      return answer.results.some((r) => r.verdict === 'INVALID_PACKET') ? EXIT_USAGE : EXIT_OK;
    }
    case 'probe':
      return probe(api, io, json, values);
    case 'plan': {
      // The same documents, rendering and exit codes as a local preview (docs/preview.md).
      const destroy = str(values.destroy);
      const request = destroy ? { destroy } : { file: requiredArg(positionals, 'PLAN_FILE') };
      const result = await remotePreview(api, request);
      await printResult(io, result, json, destroy ?? (request as { file: string }).file);
      return previewExitCode(result, values['detailed-exitcode'] === true);
    }
    default:
      throw new UsageError(`natflow ${name} has no HTTP API route to call on ${endpoint}`);
  }
}

function requiredArg(positionals: string[], what: string): string {
  const value = positionals[0];
  if (!value) throw new UsageError(`${what} is required`);
  return value;
}

async function validate(api: RemoteApi, io: Output, json: boolean, file: string) {
  let document: unknown;
  const read = readPlanFile(file);
  if (!read.ok) document = { valid: false, errors: read.errors };
  else
    try {
      // The body is the plan document itself (docs/http-api.md POST /plans/validate); the problems come
      // back with the line and column where they sit in the file.
      document = await api.request('POST', '/plans/validate', { body: read.plan.document });
    } catch (error) {
      if (!(error instanceof RemoteProblem) || error.status !== 422) throw error;
      document = { valid: false, errors: placed(error.issues, read.plan) };
    }
  const valid = (document as { valid?: boolean }).valid === true;
  if (!valid && read.ok) {
    const errors = (document as { errors?: { path: string; code: string; message: string }[] }).errors ?? [];
    document = { ...(document as object), errors: placed(errors, read.plan) };
  }
  if (json) printJson(io, document);
  else if (valid) io.out(`${file}: valid`);
  else
    for (const issue of (document as { errors: { path: string; code: string; message: string }[] }).errors)
      io.err(`${file}: ${issue.path || '(root)'}: ${issue.code}: ${issue.message}`);
  return valid ? EXIT_OK : EXIT_USAGE;
}

/** The execution document of docs/cli.md from the API's DescribeExecution answer. */
function documentOf(described: Record<string, unknown>): ExecutionDocument {
  const arn = String(described.executionArn ?? '');
  const machine = String(described.stateMachineArn ?? arn.split(':').slice(-2, -1)[0] ?? '');
  const doc: ExecutionDocument = {
    executionArn: arn,
    name: String(described.name ?? ''),
    workflow:
      machine
        .split(':')
        .pop()
        ?.replace(/^natflow-/, '')
        .replace(/-[a-z0-9]+$/, '') ?? '',
    status: String(described.status ?? 'UNKNOWN'),
  };
  for (const key of ['startDate', 'stopDate', 'error'] as const)
    if (typeof described[key] === 'string') doc[key] = described[key] as string;
  // The API shows the cause as the failure document already; an older stack's is text.
  const cause = described.cause;
  if (cause && typeof cause === 'object') doc.cause = cause as FailureDocument;
  else if (typeof cause === 'string' || doc.error) {
    const read = causeObjectOf(doc.error, typeof cause === 'string' ? cause : undefined);
    if (read) doc.cause = read;
  }
  if (described.output !== undefined && described.output !== null) doc.output = described.output;
  if (described.input !== undefined && described.input !== null) doc.input = described.input;
  return doc;
}

async function describe(api: RemoteApi, id: string): Promise<ExecutionDocument> {
  return documentOf(await api.request('GET', `/executions/${encodeURIComponent(id)}`));
}

async function follow(api: RemoteApi, id: string): Promise<ExecutionDocument> {
  for (let delay = 250; ; delay = Math.min(delay * 2, 5000)) {
    const doc = await describe(api, id);
    if (doc.status !== 'RUNNING' && doc.status !== 'PENDING_REDRIVE') return doc;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

function printExecution(io: Output, json: boolean, doc: ExecutionDocument): number {
  if (json) printJson(io, doc.workflow === 'verify' ? verificationDocument(doc) : doc);
  else io.out(describeExecution(doc));
  return doc.status === 'SUCCEEDED' || doc.status === 'RUNNING' ? EXIT_OK : EXIT_FAILED;
}

async function startAndFollow(
  api: RemoteApi,
  io: Output,
  json: boolean,
  workflow: string,
  input: unknown,
  noWait: boolean,
): Promise<number> {
  let started: { executionArn: string } | { plan: string; nothing: true };
  try {
    started = await api.request('POST', '/executions', { body: { workflow, input } });
  } catch (error) {
    // An invalid plan starts nothing: the validate document, exit 2. A cloud that drifted in a way only
    // a replacement would repair (409 DRIFT_REQUIRES_REPLACE) starts nothing either: the same, exit 1.
    const drifted =
      error instanceof RemoteProblem && error.status === 409 && error.name === 'DRIFT_REQUIRES_REPLACE';
    if (error instanceof RemoteProblem && (error.status === 422 || drifted)) {
      const document = { valid: false, errors: error.issues };
      if (json) printJson(io, document);
      else for (const i of error.issues) io.err(`${i.path || '(root)'}: ${i.code}: ${i.message}`);
      return drifted ? EXIT_FAILED : EXIT_USAGE;
    }
    throw error;
  }
  // A teardown of a plan with nothing recorded: 200 {plan, nothing: true}, no execution.
  if (isNothing(started)) {
    printNothingToTearDown(io, started.plan, json);
    return EXIT_OK;
  }
  const doc = noWait ? await describe(api, started.executionArn) : await follow(api, started.executionArn);
  return printExecution(io, json, doc);
}

async function executions(
  api: RemoteApi,
  io: Output,
  json: boolean,
  positionals: string[],
  values: Flags['values'],
): Promise<number> {
  const [sub = 'list', id] = positionals;
  if (sub === 'list') {
    const answer = await api.request<{ executions: Record<string, unknown>[]; nextToken?: string }>(
      'GET',
      '/executions',
      { query: { workflow: str(values.workflow), status: str(values.status), limit: str(values.limit) } },
    );
    if (json) printJson(io, answer);
    else
      io.out(
        table(
          ['NAME', 'STATUS', 'STARTED'],
          answer.executions.map((e) => [
            String(e.name ?? ''),
            String(e.status ?? ''),
            String(e.startDate ?? ''),
          ]),
        ),
      );
    return EXIT_OK;
  }
  if (!id) throw new UsageError(`executions ${sub} needs an execution ARN or name`);
  const path = `/executions/${encodeURIComponent(id)}`;
  switch (sub) {
    case 'show':
      printExecution(io, json, await describe(api, id));
      return EXIT_OK;
    case 'history': {
      const events: unknown[] = [];
      let nextToken: string | undefined;
      do {
        const page = await api.request<{ events: unknown[]; nextToken?: string }>('GET', `${path}/history`, {
          query: { nextToken },
        });
        events.push(...page.events);
        nextToken = page.nextToken;
      } while (nextToken);
      printJson(io, { events });
      return EXIT_OK;
    }
    case 'watch':
      return printExecution(io, json, await follow(api, id));
    case 'stop':
    case 'redrive':
    case 'rollback': {
      const answer = await api.request('POST', `${path}/${sub}`, { body: {} });
      printJson(io, answer);
      return EXIT_OK;
    }
    default:
      throw new UsageError(`unknown executions subcommand ${sub}`);
  }
}

async function probe(api: RemoteApi, io: Output, json: boolean, values: Flags['values']): Promise<number> {
  const mode = str(values.mode) ?? 'analyze';
  if (mode !== 'analyze') throw new UsageError(`--mode ${mode}: ${ANALYSE_ONLY}`);
  const to = str(values.to);
  const match = to ? /^(.+):(\d+)$/.exec(to) : null;
  if (!str(values.from) || !match || !str(values.protocol))
    throw new UsageError('probe needs --from SERVER --to DEST:PORT --protocol http|tcp|udp');
  const report = await api.request<{ verdict: string }>('POST', '/probes', {
    body: {
      from: str(values.from),
      to: match[1],
      port: Number(match[2]),
      protocol: str(values.protocol),
      mode: 'analyze',
      ...(str(values.plan) ? { plan: str(values.plan) } : {}),
    },
  });
  if (json) printJson(io, report);
  else io.out(`${report.verdict}`);
  const expect = str(values.expect) ?? 'reachable';
  return report.verdict.toLowerCase() === expect.toLowerCase() ? EXIT_OK : EXIT_FAILED;
}
