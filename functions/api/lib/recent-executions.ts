/**
 * The `RecentExecutions` port of src/workflow/plan-list.ts over Step Functions: every natflow machine's
 * executions (ListExecutions, up to `limit` each), merged newest first, each described (its input,
 * output, error and cause) only when the listing reaches it — so a listing that settles early costs
 * few calls. Shared by `GET /plans` and `natflow plans`.
 */
import {
  DescribeExecutionCommand,
  type ExecutionListItem,
  ListExecutionsCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { ExecutionSummary, RecentExecutions } from '../../../src/workflow/plan-list.ts';
import { MACHINES, type Machine, workflowOfMachine } from '../../../src/workflow/workflows.ts';

function parsed(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Up to `limit` executions of one machine, newest first (Step Functions lists them so). */
async function listed(sfn: SFNClient, arn: string, limit: number): Promise<ExecutionListItem[]> {
  const items: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: arn, maxResults: Math.min(limit, 1000), nextToken }),
    );
    items.push(...(page.executions ?? []));
    nextToken = page.nextToken;
  } while (nextToken && items.length < limit);
  return items.slice(0, limit);
}

export async function* recentExecutions(
  sfn: SFNClient,
  arns: Partial<Record<Machine, string>>,
  limit: number,
): RecentExecutions {
  const lists = await Promise.all(
    MACHINES.filter((machine) => arns[machine]).map(async (machine) =>
      (await listed(sfn, arns[machine] as string, limit).catch(() => [])).map((item) => ({ machine, item })),
    ),
  );
  const merged = lists
    .flat()
    .sort((a, b) => (b.item.startDate?.getTime() ?? 0) - (a.item.startDate?.getTime() ?? 0))
    .slice(0, limit);
  for (const { machine, item } of merged) {
    if (!item.executionArn) continue;
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: item.executionArn }));
    const summary: ExecutionSummary = {
      name: described.name ?? item.name ?? '',
      workflow: workflowOfMachine(machine),
      status: described.status ?? item.status ?? 'UNKNOWN',
      startDate: (described.startDate ?? item.startDate ?? new Date(0)).toISOString(),
      stopDate: (described.stopDate ?? item.stopDate)?.toISOString(),
      input: parsed(described.input),
      output: parsed(described.output),
      error: described.error,
      cause: described.cause,
    };
    yield summary;
  }
}
