/**
 * How a CLI command reaches natflow: always through the Step Functions API (`@aws-sdk/client-sfn`),
 * at one of three places, in this order:
 * 1. `--endpoint URL`: a natflow stack somewhere else;
 * 2. the stack running on this data directory (`DATA_DIR/stack.json`: natflow's record, its process
 *    alive, its `/health` answering the recorded instance — before use and again when a call is refused,
 *    falling back to 3.: `live-stack.ts`; a record it does not trust is ignored, said on stderr);
 * 3. an embedded stack started in this process for as long as the command runs (the default: state in
 *    SQLite under the data directory, so separate invocations see the same resources and executions).
 * Validation and resource listings read the store directly (the same SQLite file the stack uses). Every
 * client sends the CLI's token (`--token`, NATFLOW_TOKEN: token.ts); a refusal is `UNAUTHORIZED`.
 */
import {
  DescribeExecutionCommand,
  type DescribeExecutionOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListStateMachinesCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { LOCAL_REGION } from '../aws/local.ts';
import { causeObjectOf, type FailureDocument } from '../codes/failure.ts';
import { CLOUD_SETTINGS_HEADER, settingsHeader } from '../stack/cloud-settings.ts';
import type { Stack } from '../stack/stack.ts';
import { WORKFLOWS } from '../workflow/workflows.ts';
import { advertisedStack, liveStack, withFallback } from './live-stack.ts';
import { withToken } from './token.ts';

export interface Session {
  sfn: SFNClient;
  url: string;
  /** The embedded stack, when this process runs one. */
  stack: Stack | undefined;
  /** The token this session sends (`--token`, NATFLOW_TOKEN), if any. */
  token: string | undefined;
  stateMachineArn(workflow: string): Promise<string>;
  close(): Promise<void>;
}

export interface SessionOptions {
  dataDir: string;
  endpoint?: string | undefined;
  /** Keep an embedded stack's data plane off (commands that never probe). */
  dataPlane?: boolean;
  /**
   * The command's environment: its cloud settings (`HUAWEICLOUD_*`) go with the executions it starts
   * in a running stack (src/stack/cloud-settings.ts; never to an --endpoint).
   */
  env?: NodeJS.ProcessEnv | undefined;
  /** The token to send (`--token`, else NATFLOW_TOKEN: `tokenOf`). */
  token?: string | undefined;
  /** Where the session says why it ignores a `stack.json` (the CLI: stderr). */
  warn?: ((text: string) => void) | undefined;
}

/** The running stack recorded in the data directory, if its process is alive (see `live-stack.ts`). */
export const runningStack = advertisedStack;

/**
 * A Step Functions client of the stack at `url`, sending `token` when given (token.ts) and the command's
 * cloud `settings` (src/stack/cloud-settings.ts).
 */
export function sfnClient(
  url: string,
  options: { token?: string | undefined; settings?: string | undefined } = {},
): SFNClient {
  const { settings } = options;
  const client = new SFNClient({
    endpoint: url,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 2,
  });
  if (settings) {
    // The command's cloud settings, for the executions it starts or redrives in that stack.
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers?: Record<string, string> };
        if (request.headers) request.headers[CLOUD_SETTINGS_HEADER] = settings;
        return next(args);
      },
      { step: 'build', name: 'natflowCloudSettings' },
    );
  }
  return withToken(client, url, options.token);
}

export async function openSession(options: SessionOptions): Promise<Session> {
  // An advertised stack only if it is alive (pid and /health), and again when a call to it is refused.
  const { token } = options;
  const advertised = options.endpoint
    ? undefined
    : await liveStack(options.dataDir, { token, warn: options.warn });
  const embedded = async () => {
    const { startStack } = await import('../stack/stack.ts');
    // One-shot: never advertised in stack.json, so no other command finds it after it is gone.
    return startStack({
      dataDir: options.dataDir,
      port: 0,
      dataPlane: options.dataPlane ?? true,
      advertise: false,
      ...(options.warn ? { warn: (text: string) => options.warn?.(`natflow: ${text}`) } : {}),
    });
  };
  let stack = options.endpoint || advertised ? undefined : await embedded();
  let url = options.endpoint ?? advertised?.url ?? (stack?.url as string);
  const settings = options.endpoint || !options.env ? undefined : settingsHeader(options.env);
  // An embedded stack has no token: it is this process's own, on 127.0.0.1.
  let sfn = sfnClient(url, { token: stack ? undefined : token, settings });
  if (advertised) {
    sfn = withFallback(
      sfn,
      async () => (await liveStack(options.dataDir, { token }))?.instance === advertised.instance,
      async () => {
        stack = await embedded();
        url = stack.url as string;
        session.url = url;
        session.stack = stack;
        session.token = undefined;
        return sfnClient(url, { settings });
      },
    );
  }
  let arns: Map<string, string> | undefined;
  const session: Session = {
    sfn,
    url,
    stack,
    token: stack ? undefined : token,
    async stateMachineArn(workflow) {
      if (!arns) {
        const listed = await sfn.send(new ListStateMachinesCommand({}));
        arns = new Map(
          (listed.stateMachines ?? []).map((m) => [workflowOfName(m.name ?? ''), m.stateMachineArn ?? '']),
        );
      }
      const arn = arns.get(workflow);
      if (!arn) throw new Error(`the stack at ${url} has no ${workflow} state machine`);
      return arn;
    },
    async close() {
      sfn.destroy();
      await stack?.close();
    },
  };
  return session;
}

/** `natflow-provision-dev` → `provision`. */
export function workflowOfName(name: string): string {
  return name.replace(/^natflow-/, '').replace(/-[a-z0-9]+$/, '');
}

/**
 * The execution document of docs/cli.md: `{executionArn, name, status, error?, cause?, output?}`; `cause`
 * is the failure document (docs/real-cloud.md#failure), an object.
 */
export interface ExecutionDocument {
  executionArn: string;
  name: string;
  workflow: string;
  status: string;
  startDate?: string;
  stopDate?: string;
  durationMs?: number;
  input?: unknown;
  output?: unknown;
  error?: string;
  cause?: FailureDocument;
  /** A provisioning's onFailure (`keep` runs on provision-keep). */
  onFailure?: 'rollback' | 'keep';
  redriveCount?: number;
  redriveStatus?: string;
}

export function executionDocument(described: DescribeExecutionOutput): ExecutionDocument {
  const doc: ExecutionDocument = {
    executionArn: described.executionArn ?? '',
    name: described.name ?? '',
    workflow: workflowOfName((described.stateMachineArn ?? '').split(':').pop() ?? ''),
    status: described.status ?? 'UNKNOWN',
  };
  if (doc.workflow === 'provision-keep') {
    doc.workflow = 'provision';
    doc.onFailure = 'keep';
  } else if (doc.workflow === 'provision') doc.onFailure = 'rollback';
  if (described.redriveCount) doc.redriveCount = described.redriveCount;
  if (described.redriveStatus && described.status !== 'RUNNING' && described.status !== 'SUCCEEDED')
    doc.redriveStatus = described.redriveStatus;
  if (described.startDate) doc.startDate = described.startDate.toISOString();
  if (described.stopDate) doc.stopDate = described.stopDate.toISOString();
  if (described.startDate && described.stopDate)
    doc.durationMs = described.stopDate.getTime() - described.startDate.getTime();
  if (described.input !== undefined) doc.input = parseJson(described.input);
  if (described.output !== undefined) doc.output = parseJson(described.output);
  if (described.error) doc.error = described.error;
  const cause =
    described.error || described.cause ? causeObjectOf(described.error, described.cause) : undefined;
  if (cause) doc.cause = cause;
  return doc;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Resolves an execution given by ARN or by name (searching every state machine). */
export async function resolveExecutionArn(session: Session, id: string): Promise<string> {
  if (id.startsWith('arn:')) return id;
  const { ListExecutionsCommand } = await import('@aws-sdk/client-sfn');
  for (const workflow of [...WORKFLOWS, 'provision-keep']) {
    let nextToken: string | undefined;
    do {
      const page = await session.sfn.send(
        new ListExecutionsCommand({
          stateMachineArn: await session.stateMachineArn(workflow),
          maxResults: 100,
          nextToken,
        }),
      );
      const found = page.executions?.find((e) => e.name === id);
      if (found?.executionArn) return found.executionArn;
      nextToken = page.nextToken;
    } while (nextToken);
  }
  const { NotFoundError } = await import('../cloud/errors.ts');
  throw new NotFoundError(`no execution named ${id}`);
}

/** Every event of an execution's history, in order (all pages of GetExecutionHistory). */
export async function readHistory(session: Session, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await session.sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/**
 * Follows an execution's history until it closes, calling `onEvent` for each event once, in order.
 * Polls GetExecutionHistory (the same call the AWS console makes); locally a poll costs well under 1 ms.
 */
export async function followExecution(
  session: Session,
  executionArn: string,
  onEvent: (event: HistoryEvent) => void,
  options: { intervalMs?: number; timeoutMs?: number } = {},
): Promise<ExecutionDocument> {
  const deadline = Date.now() + (options.timeoutMs ?? 30 * 60_000);
  let seen = 0;
  for (;;) {
    const events = await readHistory(session, executionArn);
    for (const event of events.slice(seen)) onEvent(event);
    seen = Math.max(seen, events.length);
    const described = await session.sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (described.status !== 'RUNNING' && described.status !== 'PENDING_REDRIVE') {
      // Events may have landed between the history read and the describe.
      for (const event of (await readHistory(session, executionArn)).slice(seen)) onEvent(event);
      return executionDocument(described);
    }
    if (Date.now() > deadline) return executionDocument(described);
    await new Promise((done) => setTimeout(done, options.intervalMs ?? 50));
  }
}
