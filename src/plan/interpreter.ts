/**
 * The plan interpreter: turns a plan into calls of the cloud port (`Cloud`), one workflow step at a time
 * (DESIGN §7). Undoing them is the workflow's (`src/workflow/rollback.ts`, `teardown.ts`).
 *
 * `applyStep` creates a step's entries in plan order under client tokens (`plan:type:name`, or a DNAT
 * rule's identity `plan:dnat-rule:TIP:PROTO:PORT` when it has no name), so a re-run of a step — a retried
 * Lambda, a re-submitted plan — returns the same ids and creates nothing twice. `existing:` entries are
 * resolved, never created. Names in an entry reference other entries of the same plan only.
 *
 * The same code runs the dry run of `validatePlan`: given `onIssue`, a failing entry is reported with its
 * path and skipped, and entries that depend on a skipped one are skipped silently (no cascades), so one
 * pass lists every problem. Without it, the first problem throws (the workflow's Catch → Rollback).
 */

import { type Cloud, isReady } from '../cloud/cloud.ts';
import { DnatPortConflictError, ValidationFailedError } from '../cloud/errors.ts';
import type { DnatTargetInput } from '../cloud/inputs.ts';
import { resolveResource } from '../cloud/resolve.ts';
import type { ResourceType } from '../cloud/resources.ts';
import type { StoreReader } from '../cloud/store.ts';
import { tryParseCidr } from '../net/ipv4.ts';
import { type GatewayEntry, isExisting, type Plan, PlanSchema } from './plan.ts';
import { KIND_OF, type StepContext, type StepResult, StepRun } from './step-run.ts';

export { entryToken, KIND_OF, type StepContext, type StepResult } from './step-run.ts';

export const PROVISION_STEPS = [
  'networks',
  'servers',
  'backendGroups',
  'loadBalancers',
  'transitIps',
  'gateways',
  'activateGateways',
  'rules',
  'activateRules',
] as const;
/**
 * A step `applyStep` runs: one of PROVISION_STEPS, or `dnatRules` / `snatRules`, the two halves of
 * `rules` for a workflow that adds them in parallel branches.
 */
export type ProvisionStep = (typeof PROVISION_STEPS)[number] | 'dnatRules' | 'snatRules';

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
  await STEPS[step](run, cloud, plan);
  return run.pending.length > 0 || step.startsWith('activate')
    ? { resources: run.resources, pending: run.pending }
    : { resources: run.resources };
}

type StepFn = (run: StepRun, cloud: Cloud, plan: Plan) => Promise<void>;

const STEPS: Record<ProvisionStep, StepFn> = {
  async networks(run, cloud, plan) {
    for (const [i, vpc] of (plan.vpcs ?? []).entries()) {
      const path = `vpcs[${i}]`;
      let vpcId: string | undefined;
      await run.attempt(path, async () => {
        const resource = isExisting(vpc)
          ? await run.existing('vpc', vpc.existing, path)
          : await cloud.createVpc({ name: vpc.name, cidr: vpc.cidr }, run.context('vpc', vpc.name, path));
        vpcId = resource.id;
        run.record(resource, vpc.name);
      });
      for (const [j, subnet] of (vpc.subnets ?? []).entries()) {
        const subnetPath = `${path}.subnets[${j}]`;
        if (vpcId === undefined) continue;
        const parentId = vpcId;
        await run.attempt(subnetPath, async () => {
          if (isExisting(subnet)) {
            const resource = await run.existing('subnet', subnet.existing, subnetPath);
            if (resource.type === 'subnet' && resource.vpcId !== parentId) {
              throw new ValidationFailedError(`subnet ${resource.id} is not in VPC ${vpc.name}`, {
                path: `${subnetPath}.existing`,
              });
            }
            run.record(resource, subnet.name);
            return;
          }
          const resource = await cloud.createSubnet(
            { name: subnet.name, vpcId: parentId, cidr: subnet.cidr },
            run.context('subnet', subnet.name, subnetPath),
          );
          run.record(resource, subnet.name);
        });
      }
    }
  },

  async servers(run, cloud, plan) {
    for (const [i, server] of (plan.servers ?? []).entries()) {
      const path = `servers[${i}]`;
      await run.attempt(path, async () => {
        if (isExisting(server)) {
          run.record(await run.existing('server', server.existing, path), server.name);
          return;
        }
        const subnetId = await run.idOf('subnets', server.subnet, `${path}.subnet`);
        const resource = await cloud.createServer(
          {
            name: server.name,
            subnetId,
            ...(server.ip === undefined ? {} : { ip: server.ip }),
            apps: server.apps ?? [],
            ...(server.inbound === undefined
              ? {}
              : {
                  inbound: server.inbound.map((rule) => ({
                    protocol: rule.protocol,
                    fromPort: rule.ports?.from ?? 1,
                    toPort: rule.ports?.to ?? 65535,
                    source: rule.source,
                  })),
                }),
          },
          run.context('server', server.name, path, server.subnet),
        );
        run.record(resource, server.name);
        for (const groupId of resource.securityGroupIds) {
          const group = await cloud.get(groupId);
          if (group?.plan === plan.name) run.record(group, group.name);
        }
      });
    }
  },

  async backendGroups(run, cloud, plan) {
    for (const [i, group] of (plan.backendGroups ?? []).entries()) {
      const path = `backendGroups[${i}]`;
      await run.attempt(path, async () => {
        const members = [];
        for (const [k, member] of (group.members ?? []).entries()) {
          const serverId = await run.idOf('servers', member.server, `${path}.members[${k}].server`);
          members.push({
            serverId,
            port: member.port,
            ...(member.weight === undefined ? {} : { weight: member.weight }),
          });
        }
        const resource = await cloud.createBackendGroup(
          {
            name: group.name,
            protocol: group.protocol,
            ...(group.algorithm === undefined ? {} : { algorithm: group.algorithm }),
            ...(group.healthCheck === undefined ? {} : { healthCheck: group.healthCheck }),
            members,
          },
          run.context('backend-group', group.name, path),
        );
        run.record(resource, group.name);
      });
    }
  },

  async loadBalancers(run, cloud, plan) {
    for (const [i, lb] of (plan.loadBalancers ?? []).entries()) {
      const path = `loadBalancers[${i}]`;
      let lbId: string | undefined;
      await run.attempt(path, async () => {
        if (isExisting(lb)) {
          const resource = await run.existing('load-balancer', lb.existing, path);
          run.record(resource, lb.name);
          return;
        }
        const vpcId = await run.idOf('vpcs', lb.vpc, `${path}.vpc`);
        const frontendSubnetId = await run.idOf('subnets', lb.frontendSubnet, `${path}.frontendSubnet`);
        const backendSubnetId =
          lb.backendSubnet === undefined
            ? frontendSubnetId
            : await run.idOf('subnets', lb.backendSubnet, `${path}.backendSubnet`);
        const resource = await cloud.createLoadBalancer(
          {
            name: lb.name,
            vpcId,
            frontendSubnetId,
            backendSubnetId,
            ...(lb.ip === undefined ? {} : { ip: lb.ip }),
            azs: lb.azs ?? [],
          },
          run.context('load-balancer', lb.name, path, lb.frontendSubnet),
        );
        lbId = resource.id;
        run.record(resource, lb.name);
      });
      if (isExisting(lb) || lbId === undefined) continue;
      for (const [k, listener] of (lb.listeners ?? []).entries()) {
        const listenerPath = `${path}.listeners[${k}]`;
        const loadBalancerId = lbId;
        await run.attempt(listenerPath, async () => {
          const backendGroupId = await run.idOf(
            'backendGroups',
            listener.backendGroup,
            `${listenerPath}.backendGroup`,
          );
          const name = listener.name ?? `${listener.protocol}-${listener.port}`;
          const resource = await cloud.createListener(
            {
              name,
              loadBalancerId,
              protocol: listener.protocol,
              port: listener.port,
              backendGroupId,
              accessControl: listener.accessControl ?? 'all',
            },
            run.ruleContext(`listener:${lb.name}:${listener.protocol}:${listener.port}`, listenerPath),
          );
          run.record(resource, `${lb.name}/${name}`);
        });
      }
    }
  },

  async transitIps(run, cloud, plan) {
    for (const [i, tip] of (plan.transitIps ?? []).entries()) {
      const path = `transitIps[${i}]`;
      await run.attempt(path, async () => {
        if (isExisting(tip)) {
          run.record(await run.existing('transit-ip', tip.existing, path), tip.name);
          return;
        }
        const subnetId = await run.idOf('subnets', tip.subnet, `${path}.subnet`);
        const resource = await cloud.createTransitIp(
          { name: tip.name, subnetId, ...(tip.ip === undefined ? {} : { ip: tip.ip }) },
          run.context('transit-ip', tip.name, path, tip.subnet),
        );
        run.record(resource, tip.name);
      });
    }
  },

  async gateways(run, cloud, plan) {
    for (const [i, gateway] of (plan.privateNatGateways ?? []).entries()) {
      const path = `privateNatGateways[${i}]`;
      await run.attempt(path, async () => {
        if (isExisting(gateway)) {
          run.record(await run.existing('private-nat-gateway', gateway.existing, path), gateway.name);
          return;
        }
        const vpcId = await run.idOf('vpcs', gateway.vpc, `${path}.vpc`);
        const subnetId = await run.idOf('subnets', gateway.subnet, `${path}.subnet`);
        const resource = await cloud.createGateway(
          {
            name: gateway.name,
            vpcId,
            subnetId,
            ...(gateway.spec === undefined ? {} : { spec: gateway.spec }),
            ...(gateway.allowSharedTransitIp === undefined
              ? {}
              : { allowSharedTransitIp: gateway.allowSharedTransitIp }),
            ...(gateway.downlinkIp === undefined ? {} : { downlinkIp: gateway.downlinkIp }),
          },
          run.context('private-nat-gateway', gateway.name, path, gateway.subnet),
        );
        run.record(resource, gateway.name);
      });
    }
  },

  async activateGateways(run, cloud, plan) {
    for (const [i, gateway] of (plan.privateNatGateways ?? []).entries()) {
      const path = `privateNatGateways[${i}]`;
      await run.attempt(path, async () => {
        const id = await run.idOf('gateways', gateway.name, path);
        // An existing gateway belongs to whoever created it: its status is not this plan's to change.
        const resource = isExisting(gateway) ? await cloud.require(id) : await cloud.refresh(id);
        if (!isReady(resource)) run.pending.push(id);
        run.record(resource, gateway.name);
      });
    }
  },

  rules: (run, cloud, plan) => addRules(run, cloud, plan, ['dnat', 'snat']),
  dnatRules: (run, cloud, plan) => addRules(run, cloud, plan, ['dnat']),
  snatRules: (run, cloud, plan) => addRules(run, cloud, plan, ['snat']),

  async activateRules(run, cloud, plan) {
    // The rules this plan created, found by their ledger (plan) on the plan's gateways.
    const gatewayIds = new Set<string>();
    for (const [i, gateway] of (plan.privateNatGateways ?? []).entries()) {
      await run.attempt(`privateNatGateways[${i}]`, async () => {
        gatewayIds.add(await run.idOf('gateways', gateway.name, `privateNatGateways[${i}]`));
      });
    }
    for (const type of ['dnat-rule', 'snat-rule'] as const) {
      for (const rule of await cloud.list({ type, plan: plan.name })) {
        if (rule.type !== type || !gatewayIds.has(rule.gatewayId)) continue;
        const resource = await cloud.refresh(rule.id);
        if (!isReady(resource)) run.pending.push(rule.id);
        run.record(resource, resource.name);
      }
    }
  },
};

/** Adds the plan's DNAT and/or SNAT rules, gateway by gateway in plan order. */
async function addRules(
  run: StepRun,
  cloud: Cloud,
  plan: Plan,
  kinds: ReadonlyArray<'dnat' | 'snat'>,
): Promise<void> {
  await forEachRule(run, plan, kinds, async (gatewayId, rule) => {
    if (rule.kind === 'dnat') {
      const { entry, path } = rule;
      const transitIpId = await run.idOf('transitIps', entry.transitIp, `${path}.transitIp`);
      const target: DnatTargetInput =
        entry.target.loadBalancer !== undefined
          ? {
              loadBalancerId: await run.idOf(
                'loadBalancers',
                entry.target.loadBalancer,
                `${path}.target.loadBalancer`,
              ),
            }
          : entry.target.server !== undefined
            ? { serverId: await run.idOf('servers', entry.target.server, `${path}.target.server`) }
            : { ip: entry.target.ip as string };
      const identity = `${transitIpId}:${entry.protocol}:${entry.transitPort}`;
      const first = rule.identities.get(identity);
      if (first !== undefined && first !== path) {
        throw new DnatPortConflictError(
          `${entry.transitIp} ${entry.protocol === 'any' ? 'all ports' : `${entry.protocol} ${entry.transitPort}`} is already forwarded by ${first}`,
          { path: `${path}.transitPort` },
        );
      }
      rule.identities.set(identity, path);
      const resource = await cloud.createDnatRule(
        {
          ...(entry.name === undefined ? {} : { name: entry.name }),
          gatewayId,
          transitIpId,
          protocol: entry.protocol,
          transitPort: entry.transitPort,
          internalPort: entry.internalPort,
          target,
        },
        run.ruleContext(entry.name === undefined ? `dnat-rule:${identity}` : `dnat-rule:${entry.name}`, path),
      );
      run.record(resource, resource.name);
      return;
    }
    const { entry, path } = rule;
    const transitIpId = await run.idOf('transitIps', entry.transitIp, `${path}.transitIp`);
    const cidr = tryParseCidr(entry.source) ? entry.source : undefined;
    const source = cidr ? { cidr } : { subnetId: await run.idOf('subnets', entry.source, `${path}.source`) };
    const resource = await cloud.createSnatRule(
      { ...(entry.name === undefined ? {} : { name: entry.name }), gatewayId, transitIpId, ...source },
      run.ruleContext(
        entry.name === undefined ? `snat-rule:${gatewayId}:${entry.source}` : `snat-rule:${entry.name}`,
        path,
      ),
    );
    run.record(resource, resource.name);
  });
}

type RuleVisit =
  | {
      kind: 'dnat';
      entry: NonNullable<GatewayEntry['dnatRules']>[number];
      path: string;
      identities: Map<string, string>;
    }
  | { kind: 'snat'; entry: NonNullable<GatewayEntry['snatRules']>[number]; path: string };

async function forEachRule(
  run: StepRun,
  plan: Plan,
  kinds: ReadonlyArray<'dnat' | 'snat'>,
  visit: (gatewayId: string, rule: RuleVisit) => Promise<void>,
): Promise<void> {
  const identities = new Map<string, string>();
  for (const [i, gateway] of (plan.privateNatGateways ?? []).entries()) {
    const path = `privateNatGateways[${i}]`;
    const dnatRules = kinds.includes('dnat') ? (gateway.dnatRules ?? []) : [];
    const snatRules = kinds.includes('snat') ? (gateway.snatRules ?? []) : [];
    if (dnatRules.length === 0 && snatRules.length === 0) continue;
    let gatewayId: string | undefined;
    await run.attempt(path, async () => {
      gatewayId = await run.idOf('gateways', gateway.name, path);
    });
    if (gatewayId === undefined) continue;
    const id = gatewayId;
    for (const [j, entry] of dnatRules.entries()) {
      const rulePath = `${path}.dnatRules[${j}]`;
      await run.attempt(rulePath, () => visit(id, { kind: 'dnat', entry, path: rulePath, identities }));
    }
    for (const [j, entry] of snatRules.entries()) {
      const rulePath = `${path}.snatRules[${j}]`;
      await run.attempt(rulePath, () => visit(id, { kind: 'snat', entry, path: rulePath }));
    }
  }
}

/**
 * Everything a plan created or references, `{kind: {name: id}}`: the resources recorded under the plan,
 * and the `existing:` entries of its stored document (`store.getPlan`).
 */
export async function planResources(
  store: StoreReader,
  planName: string,
): Promise<Record<string, Record<string, string>>> {
  const out: Record<string, Record<string, string>> = {};
  const put = (type: ResourceType, name: string, id: string) => {
    const kind = KIND_OF[type];
    out[kind] ??= {};
    (out[kind] as Record<string, string>)[name] = id;
  };
  const created = await store.list({ plan: planName });
  const byId = new Map(created.map((r) => [r.id, r]));
  for (const resource of created) {
    if (resource.type === 'listener') {
      const lb = byId.get(resource.loadBalancerId) ?? (await store.get(resource.loadBalancerId));
      put('listener', `${lb?.name ?? resource.loadBalancerId}/${resource.name}`, resource.id);
    } else put(resource.type, resource.name, resource.id);
  }
  const record = await store.getPlan(planName);
  const parsed = record ? PlanSchema.safeParse(record.document) : undefined;
  if (parsed?.success) {
    const references: Array<[ResourceType, { name: string; existing?: string }]> = [];
    for (const vpc of parsed.data.vpcs ?? []) {
      references.push(['vpc', vpc]);
      for (const subnet of vpc.subnets ?? []) references.push(['subnet', subnet]);
    }
    for (const e of parsed.data.servers ?? []) references.push(['server', e]);
    for (const e of parsed.data.loadBalancers ?? []) references.push(['load-balancer', e]);
    for (const e of parsed.data.transitIps ?? []) references.push(['transit-ip', e]);
    for (const e of parsed.data.privateNatGateways ?? []) references.push(['private-nat-gateway', e]);
    for (const [type, entry] of references) {
      if (entry.existing === undefined) continue;
      const resource = await resolveResource(store, type, entry.existing).catch(() => undefined);
      if (resource) put(type, entry.name, resource.id);
    }
  }
  return out;
}
