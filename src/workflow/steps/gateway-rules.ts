/**
 * The walk the rule steps share (`rules`, `dnatRules`, `snatRules`): gateway by gateway in plan order,
 * its DNAT rules then its SNAT rules, each entry one `run.attempt`. A gateway that cannot be found skips
 * its rules (in a dry run it is reported at its own entry). In a workflow run, the rules of a gateway
 * this plan created wait until it is ACTIVE (the step names it in its `Natflow.NotReady`): rules are
 * added only to an ACTIVE gateway.
 */
import type { Cloud } from '../../cloud/cloud.ts';
import { type DnatRuleEntry, isExisting, type Plan, type SnatRuleEntry } from '../../plan/plan.ts';
import type { StepRun } from './run.ts';

export interface DnatRuleVisit {
  entry: DnatRuleEntry;
  path: string;
  /** The DNAT identities (`transitIpId:protocol:port`) seen so far in this walk, and the path of each. */
  identities: Map<string, string>;
}

export interface SnatRuleVisit {
  entry: SnatRuleEntry;
  path: string;
}

/** What to do with each rule entry; a kind without a visitor is not walked. */
export interface RuleVisitors {
  dnat?: (gatewayId: string, rule: DnatRuleVisit) => Promise<void>;
  snat?: (gatewayId: string, rule: SnatRuleVisit) => Promise<void>;
}

export async function forEachRule(
  run: StepRun,
  cloud: Cloud,
  plan: Plan,
  visitors: RuleVisitors,
): Promise<void> {
  const { dnat, snat } = visitors;
  const identities = new Map<string, string>();
  for (const [i, gateway] of (plan.privateNatGateways ?? []).entries()) {
    const path = `privateNatGateways[${i}]`;
    const dnatRules = dnat ? (gateway.dnatRules ?? []) : [];
    const snatRules = snat ? (gateway.snatRules ?? []) : [];
    if (dnatRules.length === 0 && snatRules.length === 0) continue;
    let gatewayId: string | undefined;
    await run.attempt(path, async () => {
      gatewayId = await run.idOf('gateways', gateway.name, path);
    });
    if (gatewayId === undefined) continue;
    const id = gatewayId;
    if (!isExisting(gateway) && !(await run.awaitReady(await cloud.require(id)))) continue;
    if (dnat) {
      for (const [j, entry] of dnatRules.entries()) {
        const rulePath = `${path}.dnatRules[${j}]`;
        await run.attempt(rulePath, () => dnat(id, { entry, path: rulePath, identities }));
      }
    }
    if (snat) {
      for (const [j, entry] of snatRules.entries()) {
        const rulePath = `${path}.snatRules[${j}]`;
        await run.attempt(rulePath, () => snat(id, { entry, path: rulePath }));
      }
    }
  }
}

/**
 * In a workflow run, whether the parents of a rule this plan created are ready (each one read again
 * when it is not; what is not ready is what the step waits for). An `existing:` parent (another plan's,
 * or imported) is not this plan's to wait for.
 */
export async function awaitParents(
  run: StepRun,
  cloud: Cloud,
  ...ids: (string | undefined)[]
): Promise<boolean> {
  let ready = true;
  for (const id of ids) {
    if (id === undefined) continue;
    const parent = await cloud.require(id);
    if (parent.plan !== run.planName || parent.imported) continue;
    if (!(await run.awaitReady(parent))) ready = false;
  }
  return ready;
}
