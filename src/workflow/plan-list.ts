/**
 * What has been provisioned, plan by plan — `GET /plans` and `natflow plans` (docs/http-api.md,
 * docs/cli.md), natflow's `terraform state list`: each plan that has a record or resources, its cloud,
 * how many resources it holds, its last execution and its last verification.
 *
 * The plans and their resources come from the store; executions from Step Functions, through the
 * `RecentExecutions` port (newest first, read lazily: on AWS each execution's input costs a call).
 * An execution concerns a plan when its input names it (a provisioning's plan document, a teardown's or
 * verify's `plan`); a verify of every plan concerns each plan its output or its failure names. A
 * plan's last verification is the newest execution that verified it: a verify, or a provisioning
 * that reached its verification (`ok` false when it failed VERIFICATION_FAILED). At most
 * `scanLimit` executions are read; a plan none of them concerns has no `lastExecution`.
 */
import type { Resource } from '../cloud/resources.ts';
import type { StoreReader } from '../cloud/store.ts';
import { cloudOfResource, DEFAULT_CLOUD, isCloudName } from '../providers/registry.ts';
import { planOfInput, type Workflow } from './workflows.ts';

/** One execution as the listing reads it. */
export interface ExecutionSummary {
  name: string;
  workflow: Workflow;
  status: string;
  startDate: string;
  stopDate?: string | undefined;
  input?: unknown;
  output?: unknown;
  error?: string | undefined;
  cause?: string | undefined;
}

/** Executions newest first (of every workflow), read as the caller iterates. */
export type RecentExecutions = AsyncIterable<ExecutionSummary>;

export interface PlanRow {
  plan: string;
  cloud: string;
  resources: number;
  lastExecution?: { name: string; workflow: Workflow; status: string; startDate: string };
  lastVerification?: { ok: boolean; at: string };
}

/** How many executions a listing reads at most, newest first. */
export const PLAN_LIST_SCAN_LIMIT = 200;

/**
 * The provisioned plans, by name.
 *
 * @example (await listPlans(store, recentExecutions(sfn, arns))).plans[0]
 *   // { plan: 'app-a-to-elb01', cloud: 'virtual', resources: 14, lastExecution: {…}, lastVerification: {ok: true, at} }
 */
export async function listPlans(
  store: StoreReader,
  recent: RecentExecutions,
  options: { scanLimit?: number } = {},
): Promise<{ plans: PlanRow[] }> {
  const records = await store.listPlans();
  const byPlan = new Map<string, Resource[]>();
  for (const resource of await store.list()) {
    if (!resource.plan) continue;
    const list = byPlan.get(resource.plan) ?? [];
    list.push(resource);
    byPlan.set(resource.plan, list);
  }
  const names = [...new Set([...records.map((r) => r.name), ...byPlan.keys()])].sort();
  const rows = new Map<string, PlanRow>(
    names.map((plan) => {
      const resources = byPlan.get(plan) ?? [];
      const marked = resources.find((r) => r.cloud !== undefined);
      const documentCloud = (
        records.find((r) => r.name === plan)?.document as { cloud?: unknown } | undefined
      )?.cloud;
      const cloud = marked
        ? cloudOfResource(marked)
        : isCloudName(documentCloud)
          ? documentCloud
          : DEFAULT_CLOUD;
      return [plan, { plan, cloud, resources: resources.length }];
    }),
  );
  if (rows.size === 0) return { plans: [] };

  let read = 0;
  const limit = options.scanLimit ?? PLAN_LIST_SCAN_LIMIT;
  const unsettled = (row: PlanRow) => !row.lastExecution || !row.lastVerification;
  for await (const execution of recent) {
    if (++read > limit) break;
    for (const [plan, verified] of concerned(execution, rows)) {
      const row = rows.get(plan) as PlanRow;
      row.lastExecution ??= {
        name: execution.name,
        workflow: execution.workflow,
        status: execution.status,
        startDate: execution.startDate,
      };
      if (verified !== undefined && !row.lastVerification)
        row.lastVerification = { ok: verified, at: execution.stopDate ?? execution.startDate };
    }
    if (![...rows.values()].some(unsettled)) break;
  }
  return { plans: [...rows.values()] };
}

/**
 * The plans an execution concerns, each with what it says of the plan's verification (`undefined`:
 * nothing — it did not get that far, or does not verify).
 */
function concerned(
  execution: ExecutionSummary,
  rows: ReadonlyMap<string, PlanRow>,
): [string, boolean | undefined][] {
  const named = planOfInput(execution.input);
  const failedVerification = execution.status === 'FAILED' && execution.error === 'VERIFICATION_FAILED';
  if (execution.workflow === 'verify' && named === undefined) {
    // Every plan: the output says each plan's outcome; a failure names the plans that lost connectivity.
    const plans = (execution.output as { plans?: { plan?: unknown; ok?: unknown }[] } | undefined)?.plans;
    if (Array.isArray(plans))
      return plans.flatMap((p) =>
        typeof p.plan === 'string' && rows.has(p.plan) ? [[p.plan, p.ok === true] as [string, boolean]] : [],
      );
    if (failedVerification)
      return [...rows.keys()]
        .filter((plan) => execution.cause?.includes(`plan ${plan}:`))
        .map((plan) => [plan, false]);
    return [];
  }
  if (named === undefined || !rows.has(named)) return [];
  if (execution.workflow === 'teardown') return [[named, undefined]];
  if (failedVerification) return [[named, false]];
  if (execution.status !== 'SUCCEEDED') return [[named, undefined]];
  if (execution.workflow === 'verify') {
    const ok = (execution.output as { ok?: unknown } | undefined)?.ok;
    return [[named, ok === undefined ? true : ok === true]];
  }
  // A provisioning that succeeded verified its plan (a failed entry fails it).
  const verify = (execution.output as { verify?: unknown[] } | undefined)?.verify;
  return [[named, Array.isArray(verify) && verify.length > 0 ? true : undefined]];
}
