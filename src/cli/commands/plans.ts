import { type Command, dataDirOf, EXIT_OK, type Output, parseFlags, printJson, UsageError } from '../io.ts';
import { tokenOf } from '../token.ts';

const usage = `usage: natflow plans [--json] [--data-dir DIR] [--endpoint URL]

Lists what has been provisioned, plan by plan — natflow's 'terraform state list': each plan's cloud, how
many resources it holds, its last execution (provision, verify or teardown) and its last verification.
Prints {plans:[{plan, cloud, resources, lastExecution:{name, workflow, status, startDate},
lastVerification?:{ok, at}}]}; with --endpoint, GET /plans of that stack.`;

export interface PlanRow {
  plan: string;
  cloud: string;
  resources: number;
  lastExecution?: { name: string; workflow?: string; status: string; startDate: string };
  lastVerification?: { ok: boolean; at: string };
}

const command: Command = {
  usage,
  async run({ argv, io, env }) {
    const { values, positionals } = parseFlags(argv, {});
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}\n${usage}`);
    const document = await localPlans(dataDirOf(values['data-dir'], env), tokenOf(values.token, env));
    if (values.json) printJson(io, document);
    else printPlans(io, document.plans);
    return EXIT_OK;
  },
};

/** The plans of this data directory: its store, and the executions of its stack (running or embedded). */
async function localPlans(dataDir: string, token: string | undefined): Promise<{ plans: PlanRow[] }> {
  const [{ listPlans, PLAN_LIST_SCAN_LIMIT }, { recentExecutions }, { openLocalReader }, { openSession }] =
    await Promise.all([
      import('../../workflow/plan-list.ts'),
      import('../../../functions/api/lib/recent-executions.ts'),
      import('../local-store.ts'),
      import('../session.ts'),
    ]);
  const { MACHINES } = await import('../../workflow/workflows.ts');
  const store = openLocalReader(dataDir);
  try {
    // Nothing provisioned: no executions to read, no stack to start.
    if ((await store.listPlans()).length === 0 && (await store.list()).every((r) => !r.plan))
      return { plans: [] };
    // A running stack's executions are read with the token it wants (docs/cli.md#the-token).
    const session = await openSession({ dataDir, dataPlane: false, token });
    try {
      const arns = Object.fromEntries(
        await Promise.all(MACHINES.map(async (m) => [m, await session.stateMachineArn(m)] as const)),
      );
      return await listPlans(store, recentExecutions(session.sfn, arns, PLAN_LIST_SCAN_LIMIT));
    } finally {
      await session.close();
    }
  } finally {
    await store.close();
  }
}

export function printPlans(io: Output, plans: readonly PlanRow[]): void {
  if (plans.length === 0) {
    io.out('no plans provisioned');
    return;
  }
  const rows = plans.map((p) => [
    p.plan,
    p.cloud,
    String(p.resources),
    p.lastExecution
      ? `${p.lastExecution.workflow ?? ''} ${p.lastExecution.status} ${p.lastExecution.startDate}`.trim()
      : '-',
    p.lastVerification ? `${p.lastVerification.ok ? 'ok' : 'FAILED'} ${p.lastVerification.at}` : '-',
  ]);
  const header = ['PLAN', 'CLOUD', 'RESOURCES', 'LAST EXECUTION', 'LAST VERIFICATION'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  io.out([line(header), ...rows.map(line)].join('\n'));
}

export default command;
