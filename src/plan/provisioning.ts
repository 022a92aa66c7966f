/**
 * The port through which the plan's validation and preview run provisioning as a dry run: "apply one
 * provisioning step of a plan to a cloud". The plan declares it and the workflows implement it (their
 * step table, `src/workflow/steps/index.ts`), so the plan never imports the workflows; a composition
 * root hands the table in:
 *
 * ```ts
 * import { steps } from '../src/workflow/steps/index.ts';
 * await validatePlan(source, document, { steps });
 * await previewPlan(source, document, { steps });
 * ```
 *
 * Beside it, what both sides read the same way: the kind (plan section) each resource type is reported
 * under, and the client token of a plan entry (docs/error-codes.md#rules-the-control-plane-enforces: every create is idempotent under it).
 */
import type { Cloud } from '../cloud/cloud.ts';
import type { Issue } from '../cloud/errors.ts';
import type { ResourceType } from '../cloud/resources.ts';
import type { Plan } from './plan.ts';

export interface StepContext {
  /** The execution creating the resources (the rollback ledger). */
  execution: string;
  /** Dry-run mode: report each problem and carry on (validatePlan). Omitted: throw the first one. */
  onIssue?: (issue: Issue) => void;
  /**
   * A workflow run's clock (ms): how long what a step waits for has been at it. Without one, the
   * system clock's.
   */
  now?: () => number;
  /**
   * How long a gateway or a rule may stay PENDING on a cloud that sets no deadline of its own (the
   * virtual cloud's provisioning delay) before its step fails GATEWAY_NOT_ACTIVE (default 10 min).
   */
  activationTimeoutMs?: number;
}

/** What a step produced: `{kind: {name: id}}`, and ids still PENDING after an activation step. */
export interface StepResult {
  resources: Record<string, Record<string, string>>;
  /** Gateways or rules a provisioning delay keeps PENDING: the workflow waits and runs the step again. */
  pending?: string[];
}

/** The provisioning steps, as the plan's dry runs use them. */
export interface ProvisioningSteps<Step extends string = string> {
  /** Every step of a whole provisioning, in the order it runs them. */
  readonly order: readonly Step[];
  /**
   * Runs one step: creates (or re-finds, under their client tokens) the step's entries in plan order.
   * Given `ctx.onIssue`, reports each failing entry and skips it and whatever depends on it.
   */
  apply(cloud: Cloud, plan: Plan, step: Step, ctx: StepContext): Promise<StepResult>;
}

/** The plan's section name (the output's kind) of each resource type. */
export const KIND_OF: Readonly<Record<ResourceType, string>> = {
  vpc: 'vpcs',
  subnet: 'subnets',
  server: 'servers',
  'security-group': 'securityGroups',
  'backend-group': 'backendGroups',
  'load-balancer': 'loadBalancers',
  listener: 'listeners',
  'transit-ip': 'transitIps',
  'private-nat-gateway': 'privateNatGateways',
  'dnat-rule': 'dnatRules',
  'snat-rule': 'snatRules',
};

/** The client token of a plan entry. */
export function entryToken(plan: string, type: ResourceType, name: string): string {
  return `${plan}:${type}:${name}`;
}
