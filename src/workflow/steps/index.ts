/**
 * The provisioning steps (docs/workflows.md): each turns its part of a plan into calls of the cloud port
 * (`Cloud`); undoing them is the rollback's and the teardown's (`../rollback.ts`, `../teardown.ts`).
 *
 * `applyStep` creates a step's entries in plan order under client tokens (`plan:type:name`, or a DNAT
 * rule's identity `plan:dnat-rule:TIP:PROTO:PORT` when it has no name), so a re-run of a step — a retried
 * Lambda, a re-submitted plan — returns the same ids and creates nothing twice. `existing:` entries are
 * resolved, never created. Names in an entry reference other entries of the same plan only.
 *
 * The same code runs the dry runs of `validatePlan` and `previewPlan` (they get it as `steps`, the port
 * `src/plan/provisioning.ts` declares): given `onIssue`, a failing entry is reported with its path and
 * skipped, and entries that depend on a skipped one are skipped silently (no cascades), so one pass lists
 * every problem. Without it, the first problem throws (the workflow's Catch → Rollback).
 *
 * A new step is a file here exporting its `Step` and one line in `STEPS` (or `HALVES`); for its handler,
 * its function in serverless.yml and its Task state see docs/architecture.md, "A new workflow step".
 */
import type { Cloud } from '../../cloud/cloud.ts';
import type { Plan } from '../../plan/plan.ts';
import type { ProvisioningSteps, StepContext, StepResult } from '../../plan/provisioning.ts';
import { activateGateways } from './activate-gateways.ts';
import { activateResources } from './activate-resources.ts';
import { activateRules } from './activate-rules.ts';
import { backendGroups } from './backend-groups.ts';
import { dnatRules } from './dnat-rules.ts';
import { gateways } from './gateways.ts';
import { listeners } from './listeners.ts';
import { loadBalancers } from './load-balancers.ts';
import { networks } from './networks.ts';
import { rules } from './rules.ts';
import { type Step, StepRun } from './run.ts';
import { servers } from './servers.ts';
import { snatRules } from './snat-rules.ts';
import { transitIps } from './transit-ips.ts';

export type { StepContext, StepResult } from '../../plan/provisioning.ts';

/** Every step of a whole provisioning, by name, in the order it runs them (and a dry run replays them). */
const STEPS = {
  networks,
  servers,
  backendGroups,
  loadBalancers,
  listeners,
  transitIps,
  gateways,
  activateGateways,
  rules,
  activateRules,
} satisfies Record<string, Step>;

/**
 * Steps a workflow runs instead of others: the halves of `rules`, for DNAT and SNAT rules in parallel
 * branches, and `activateResources`, one wait for everything the plan created (in place of the two
 * activation steps a dry run replays).
 */
const HALVES = { dnatRules, snatRules, activateResources } satisfies Record<string, Step>;

/** The steps of a whole provisioning, in order. */
export const PROVISION_STEPS = Object.keys(STEPS) as readonly (keyof typeof STEPS)[];

/** A step `applyStep` runs: one of PROVISION_STEPS, or one of the halves of `rules`. */
export type ProvisionStep = keyof typeof STEPS | keyof typeof HALVES;

const ALL: Record<ProvisionStep, Step> = { ...STEPS, ...HALVES };

/**
 * Runs one provisioning step of a plan: creates (or re-finds) that step's entries in plan order.
 * Returns `{kind: {name: id}}` of the step's entries, created or existing.
 *
 * @example await applyStep(cloud, plan, 'networks', { execution: 'arn:…:exec-1' })
 *   // { resources: { vpcs: { 'VPC-A': 'vpc-…' }, subnets: { 'subnet-A01': 'subnet-…' } } }
 */
export async function applyStep(
  cloud: Cloud,
  plan: Plan,
  step: ProvisionStep,
  ctx: StepContext,
): Promise<StepResult> {
  const run = new StepRun(cloud, plan, ctx);
  await ALL[step](run, cloud, plan);
  // A workflow run that set entries aside for a parent not ready yet waits (the Retry runs it again).
  const wait = run.waitError();
  if (wait) throw wait;
  return run.pending.length > 0 || step.startsWith('activate')
    ? { resources: run.resources, pending: run.pending }
    : { resources: run.resources };
}

/**
 * The steps as the plan's validation and preview run them (the port of `src/plan/provisioning.ts`):
 * `validatePlan(source, document, { steps })`, `previewPlan(source, document, { steps })`.
 */
export const steps: ProvisioningSteps<ProvisionStep> = { order: PROVISION_STEPS, apply: applyStep };
