import type { ExecutionStatus } from '@aws-sdk/client-sfn';
import { WORKFLOWS } from '../../workflow/workflows.ts';
import { type Command, dataDirOf, EXIT_FAILED, EXIT_OK, parseFlags, printJson, UsageError } from '../io.ts';
import type { Session } from '../session.ts';
import { tokenOf } from '../token.ts';

const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

const usage = `usage: natflow executions [list] [--workflow W] [--status S] [--limit N]
       natflow executions show ID
       natflow executions history ID
       natflow executions watch ID
       natflow executions redrive ID [--no-wait]
       natflow executions rollback ID
ID is an execution's ARN or name. --json prints one document (watch: one JSON event a line).
watch follows the execution live, each state as it starts and finishes; exit 0 if it SUCCEEDED, 1 otherwise.
redrive continues a kept failure (provisioned with onFailure: keep) from the state where it failed, under
the same ARN, and follows it (exit 0 if it SUCCEEDED, 1 otherwise); a rolled-back provisioning is refused
(EXECUTION_ROLLED_BACK, exit 2). rollback removes a kept failure's resources, or resumes a rollback that
left resources behind (rollback INCOMPLETE in the execution's cause) through the rollback workflow and
follows it: exit 0 once nothing is left, 1 if it is still INCOMPLETE (what is left is printed).`;

const SUBCOMMANDS = ['list', 'show', 'history', 'watch', 'redrive', 'rollback'] as const;

const command: Command = {
  usage,
  async run({ argv, io, env }) {
    const { values, positionals } = parseFlags(argv, {
      workflow: { type: 'string' },
      status: { type: 'string' },
      limit: { type: 'string' },
      'no-wait': { type: 'boolean', default: false },
    });
    const [sub = 'list', id, ...extra] = positionals;
    if (!(SUBCOMMANDS as readonly string[]).includes(sub))
      throw new UsageError(
        `unknown subcommand 'executions ${sub}'; the subcommands are ${SUBCOMMANDS.join(', ')}\n${usage}`,
      );
    if (sub === 'list' ? id !== undefined : extra.length > 0)
      throw new UsageError(`unexpected argument ${sub === 'list' ? id : extra[0]}\n${usage}`);
    if (sub !== 'list' && !id)
      throw new UsageError(`executions ${sub} needs an execution ARN or name\n${usage}`);
    if (values.workflow && !(WORKFLOWS as readonly string[]).includes(values.workflow)) {
      throw new UsageError(`--workflow must be one of ${WORKFLOWS.join(', ')}`);
    }
    if (values.status && !STATUSES.includes(values.status))
      throw new UsageError(`--status must be one of ${STATUSES.join(', ')}`);
    const limit = values.limit === undefined ? 50 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new UsageError('--limit must be an integer from 1 to 1000');

    const [sfn, { executionDocument, followExecution, openSession, readHistory, resolveExecutionArn }] =
      await Promise.all([import('@aws-sdk/client-sfn'), import('../session.ts')]);
    const { describeExecution, ProgressRenderer, table, waitingOfEvent } = await import('../render.ts');
    const session = await openSession({
      dataDir: dataDirOf(values['data-dir'], env),
      endpoint: values.endpoint,
      env,
      dataPlane: sub === 'watch',
      token: tokenOf(values.token, env),
      warn: io.err,
    });
    try {
      switch (sub) {
        case 'list':
          return await list(session, io, values.json, values.workflow, values.status, limit);
        case 'show': {
          const arn = await resolveExecutionArn(session, id as string);
          const doc = executionDocument(
            await session.sfn.send(new sfn.DescribeExecutionCommand({ executionArn: arn })),
          );
          if (values.json) printJson(io, doc);
          else
            io.out(
              `${describeExecution(doc)}\n${doc.output === undefined ? '' : JSON.stringify(doc.output, null, 2)}`,
            );
          return EXIT_OK;
        }
        case 'history': {
          const arn = await resolveExecutionArn(session, id as string);
          const events = await readHistory(session, arn);
          if (values.json) printJson(io, { events });
          else
            io.out(
              table(
                ['ID', 'PREV', 'TYPE', 'STATE', 'TIME'],
                events.map((e) => [
                  String(e.id),
                  String(e.previousEventId ?? ''),
                  e.type ?? '',
                  e.stateEnteredEventDetails?.name ?? e.stateExitedEventDetails?.name ?? '',
                  e.timestamp ? new Date(e.timestamp).toISOString() : '',
                ]),
              ),
            );
          return EXIT_OK;
        }
        case 'watch': {
          const arn = await resolveExecutionArn(session, id as string);
          const renderer = new ProgressRenderer();
          const doc = await followExecution(session, arn, (event) => {
            if (values.json) {
              io.out(JSON.stringify({ type: 'history', executionArn: arn, event }));
              for (const waiting of waitingOfEvent(event)) io.out(JSON.stringify({ waiting }));
            } else {
              const line = renderer.line(event);
              if (line) io.out(line);
            }
          });
          if (values.json) io.out(JSON.stringify({ type: 'execution', ...doc }));
          else io.out(describeExecution(doc));
          return doc.status === 'SUCCEEDED' ? EXIT_OK : EXIT_FAILED;
        }
        case 'redrive': {
          const arn = await resolveExecutionArn(session, id as string);
          const { redriveCommand } = await import('../kept.ts');
          return await redriveCommand(session, arn, {
            json: values.json,
            wait: !values['no-wait'],
            io,
            env,
          });
        }
        case 'rollback': {
          const arn = await resolveExecutionArn(session, id as string);
          const { rollbackCommand } = await import('../kept.ts');
          return await rollbackCommand(session, arn, { json: values.json, io, env });
        }
        default:
          throw new UsageError(`unknown subcommand ${sub}\n${usage}`);
      }
    } finally {
      await session.close();
    }
  },
};

async function list(
  session: Session,
  io: import('../io.ts').Output,
  json: boolean,
  workflow: string | undefined,
  status: string | undefined,
  limit: number,
): Promise<number> {
  const executions: {
    executionArn: string;
    name: string;
    workflow: string;
    status: string;
    startDate?: string;
    stopDate?: string;
  }[] = [];
  const { ListExecutionsCommand } = await import('@aws-sdk/client-sfn');
  const { table } = await import('../render.ts');
  const machines = (workflow ? [workflow] : [...WORKFLOWS]).flatMap((w) =>
    w === 'provision' ? ['provision', 'provision-keep'] : [w],
  );
  for (const machine of machines) {
    const w = machine === 'provision-keep' ? 'provision' : machine;
    const page = await session.sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: await session.stateMachineArn(machine),
        maxResults: limit,
        ...(status ? { statusFilter: status as ExecutionStatus } : {}),
      }),
    );
    for (const e of page.executions ?? []) {
      executions.push({
        executionArn: e.executionArn ?? '',
        name: e.name ?? '',
        workflow: w,
        status: e.status ?? '',
        ...(e.startDate ? { startDate: e.startDate.toISOString() } : {}),
        ...(e.stopDate ? { stopDate: e.stopDate.toISOString() } : {}),
      });
    }
  }
  executions.sort((a, b) => (b.startDate ?? '').localeCompare(a.startDate ?? ''));
  const shown = executions.slice(0, limit);
  if (json) printJson(io, { executions: shown });
  else
    io.out(
      table(
        ['NAME', 'WORKFLOW', 'STATUS', 'STARTED'],
        shown.map((e) => [e.name, e.workflow, e.status, e.startDate ?? '']),
      ),
    );
  return EXIT_OK;
}

export default command;
