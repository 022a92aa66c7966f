/**
 * Plan validation (docs/plan-format.md, docs/cli.md `natflow validate`): every problem at once, each with its path and
 * the most specific code, and nothing written to the real store.
 *
 * Three passes:
 * 1. **Shape** — `PlanSchema` (zod, strict). A plan that fails it goes no further.
 * 2. **Names** — DUPLICATE_NAME within a kind (subnets across the whole plan), unknown references
 *    (NOT_FOUND at the referencing field), verify entries' `from` and `to`.
 * 3. **Semantics** — a dry run of the whole plan in the cloud's sandbox (`Cloud.dryRun`: for the virtual
 *    cloud an in-memory copy of the current store), through the same cloud and provisioning steps
 *    (`options.steps`, the workflows' step table) that provisioning runs: one source of truth
 *    for the rules of the rules table. Each failing entry is reported and skipped; entries depending on it are
 *    skipped silently. A plan already provisioned validates clean (its client tokens replay), and a
 *    changed one reports PLAN_CHANGED.
 */

import { type DryRunSource, dryRunOf } from '../cloud/dry-run.ts';
import { DuplicateNameError, type Issue, NotFoundError } from '../cloud/errors.ts';
import { tryParseCidr, tryParseIpv4 } from '../net/ipv4.ts';
import { dedupeIssues, isExisting, type Plan, PlanSchema, planIssuesFromZod } from './plan.ts';
import { KIND_OF, type ProvisioningSteps } from './provisioning.ts';

export interface ValidateOptions {
  /** The provisioning steps the dry run runs: the workflows' (`steps` of src/workflow/steps/index.ts). */
  steps: ProvisioningSteps;
}

export interface ValidationSummary {
  plan: string;
  /** Entries per section of the plan (vpcs, subnets, servers, …, dnatRules, snatRules, verify). */
  entries: Record<string, number>;
  /** Resources the plan would create now (on a real cloud, those gone from it included). */
  toCreate: number;
  /** Resources an earlier run of this plan already created (they would be reused). */
  alreadyProvisioned: number;
  /** Entries that reference existing resources. */
  existing: number;
  /** The address each entry gets or keeps: `servers.ECS-A` → `192.168.0.2`. */
  addresses: Record<string, string>;
}

export interface ValidationResult {
  valid: boolean;
  errors: Issue[];
  summary?: ValidationSummary;
  /** The parsed plan (defaults applied), when its shape is valid. */
  plan?: Plan;
}

/**
 * Validates a plan document (already parsed from YAML or JSON) against what a cloud already has: its dry
 * run (`Cloud.dryRun`), or — given a store — the virtual cloud's ledger.
 *
 * @example const { valid, errors } = await validatePlan(store, parsePlanText(text), { steps })
 */
export async function validatePlan(
  source: DryRunSource,
  input: unknown,
  { steps }: ValidateOptions,
): Promise<ValidationResult> {
  const parsed = PlanSchema.safeParse(input);
  if (!parsed.success) return { valid: false, errors: planIssuesFromZod(parsed.error) };
  const plan = parsed.data;

  const nameIssues = checkNames(plan);
  // A duplicate entry's dry run would only replay or contradict the first one: its findings are noise.
  const duplicates = nameIssues
    .filter((issue) => issue.code === 'DUPLICATE_NAME')
    .map((issue) => issue.path.replace(/\.name$/, ''));
  const underDuplicate = (path: string) =>
    duplicates.some((d) => path === d || path.startsWith(`${d}.`) || path.startsWith(`${d}[`));

  const { cloud, before, drift } = await dryRunOf(source, {
    plan: plan.name,
    references: referencesOf(plan),
  });
  // A recorded resource gone from a real cloud is one the provisioning creates again.
  const gone = new Set((drift ?? []).filter((d) => d.change === 'gone').map((d) => d.id));
  const existed = (id: string) => before.has(id) && !gone.has(id);
  const dryRunIssues: Issue[] = [];
  for (const step of steps.order) {
    await steps.apply(cloud, plan, step, {
      execution: 'validate',
      onIssue: (issue) => {
        if (!underDuplicate(issue.path)) dryRunIssues.push(issue);
      },
    });
  }
  const errors = dedupeIssues([...nameIssues, ...dryRunIssues]);

  const mine = await cloud.list({ plan: plan.name });
  const addresses: Record<string, string> = {};
  for (const resource of mine) {
    const kind = KIND_OF[resource.type];
    if (resource.type === 'server' || resource.type === 'transit-ip' || resource.type === 'load-balancer') {
      addresses[`${kind}.${resource.name}`] = resource.ip;
    } else if (resource.type === 'private-nat-gateway') {
      addresses[`${kind}.${resource.name}`] = resource.downlinkIp;
    }
  }
  const summary: ValidationSummary = {
    plan: plan.name,
    entries: countEntries(plan),
    toCreate: mine.filter((r) => !existed(r.id)).length,
    alreadyProvisioned: mine.filter((r) => existed(r.id)).length,
    existing: countExisting(plan),
    addresses,
  };
  return { valid: errors.length === 0, errors, summary, plan };
}

/** The `existing:` references of a plan: what a provider modelling a real account reads first. */
function referencesOf(plan: Plan): string[] {
  const out: string[] = [];
  const add = (entry: object) => {
    if (isExisting(entry)) out.push(entry.existing);
  };
  for (const vpc of plan.vpcs ?? []) {
    add(vpc);
    for (const subnet of vpc.subnets ?? []) add(subnet);
  }
  for (const entries of [plan.servers, plan.loadBalancers, plan.transitIps, plan.privateNatGateways]) {
    for (const entry of entries ?? []) add(entry);
  }
  return out;
}

function countEntries(plan: Plan): Record<string, number> {
  const gateways = plan.privateNatGateways ?? [];
  return {
    vpcs: plan.vpcs?.length ?? 0,
    subnets: (plan.vpcs ?? []).reduce((n, vpc) => n + (vpc.subnets?.length ?? 0), 0),
    servers: plan.servers?.length ?? 0,
    backendGroups: plan.backendGroups?.length ?? 0,
    loadBalancers: plan.loadBalancers?.length ?? 0,
    listeners: (plan.loadBalancers ?? []).reduce(
      (n, lb) => n + (isExisting(lb) ? 0 : (lb.listeners?.length ?? 0)),
      0,
    ),
    transitIps: plan.transitIps?.length ?? 0,
    privateNatGateways: gateways.length,
    dnatRules: gateways.reduce((n, g) => n + (g.dnatRules?.length ?? 0), 0),
    snatRules: gateways.reduce((n, g) => n + (g.snatRules?.length ?? 0), 0),
    verify: plan.verify?.length ?? 0,
  };
}

function countExisting(plan: Plan): number {
  let n = 0;
  for (const vpc of plan.vpcs ?? []) {
    if (isExisting(vpc)) n++;
    for (const subnet of vpc.subnets ?? []) if (isExisting(subnet)) n++;
  }
  for (const list of [plan.servers, plan.loadBalancers, plan.transitIps, plan.privateNatGateways]) {
    for (const entry of list ?? []) if (isExisting(entry)) n++;
  }
  return n;
}

/** DUPLICATE_NAME and unknown references (NOT_FOUND), with the path of the offending field. */
export function checkNames(plan: Plan): Issue[] {
  const issues: Issue[] = [];
  const names = (label: string, entries: Array<{ name: string | undefined; path: string }>) => {
    const seen = new Map<string, string>();
    for (const { name, path } of entries) {
      if (name === undefined) continue;
      const first = seen.get(name);
      if (first !== undefined) {
        issues.push(
          new DuplicateNameError(`${label} name '${name}' is already used by ${first}`, {
            path: `${path}.name`,
          }).toIssue(),
        );
      } else seen.set(name, path);
    }
    return new Set(seen.keys());
  };
  const gateways = plan.privateNatGateways ?? [];
  const vpcs = names(
    'VPC',
    (plan.vpcs ?? []).map((e, i) => ({ name: e.name, path: `vpcs[${i}]` })),
  );
  const subnets = names(
    'subnet',
    (plan.vpcs ?? []).flatMap((vpc, i) =>
      (vpc.subnets ?? []).map((e, j) => ({ name: e.name, path: `vpcs[${i}].subnets[${j}]` })),
    ),
  );
  const servers = names(
    'server',
    (plan.servers ?? []).map((e, i) => ({ name: e.name, path: `servers[${i}]` })),
  );
  const groups = names(
    'backend group',
    (plan.backendGroups ?? []).map((e, i) => ({ name: e.name, path: `backendGroups[${i}]` })),
  );
  const lbs = names(
    'load balancer',
    (plan.loadBalancers ?? []).map((e, i) => ({ name: e.name, path: `loadBalancers[${i}]` })),
  );
  (plan.loadBalancers ?? []).forEach((lb, i) => {
    if (isExisting(lb)) return;
    names(
      'listener',
      (lb.listeners ?? []).map((e, k) => ({ name: e.name, path: `loadBalancers[${i}].listeners[${k}]` })),
    );
  });
  const tips = names(
    'transit IP',
    (plan.transitIps ?? []).map((e, i) => ({ name: e.name, path: `transitIps[${i}]` })),
  );
  names(
    'private NAT gateway',
    gateways.map((e, i) => ({ name: e.name, path: `privateNatGateways[${i}]` })),
  );
  names(
    'DNAT rule',
    gateways.flatMap((g, i) =>
      (g.dnatRules ?? []).map((e, j) => ({ name: e.name, path: `privateNatGateways[${i}].dnatRules[${j}]` })),
    ),
  );
  names(
    'SNAT rule',
    gateways.flatMap((g, i) =>
      (g.snatRules ?? []).map((e, j) => ({ name: e.name, path: `privateNatGateways[${i}].snatRules[${j}]` })),
    ),
  );
  names(
    'verify entry',
    (plan.verify ?? []).map((e, i) => ({ name: e.name, path: `verify[${i}]` })),
  );

  const ref = (known: Set<string>, label: string, name: string, path: string) => {
    if (!known.has(name)) {
      issues.push(new NotFoundError(`no ${label} named '${name}' in the plan`, { path }).toIssue());
    }
  };
  (plan.servers ?? []).forEach((e, i) => {
    if (!isExisting(e)) ref(subnets, 'subnet', e.subnet, `servers[${i}].subnet`);
  });
  (plan.backendGroups ?? []).forEach((e, i) => {
    (e.members ?? []).forEach((m, k) => {
      ref(servers, 'server', m.server, `backendGroups[${i}].members[${k}].server`);
    });
  });
  (plan.loadBalancers ?? []).forEach((e, i) => {
    if (isExisting(e)) return;
    const path = `loadBalancers[${i}]`;
    ref(vpcs, 'VPC', e.vpc, `${path}.vpc`);
    ref(subnets, 'subnet', e.frontendSubnet, `${path}.frontendSubnet`);
    if (e.backendSubnet !== undefined) ref(subnets, 'subnet', e.backendSubnet, `${path}.backendSubnet`);
    (e.listeners ?? []).forEach((l, k) => {
      ref(groups, 'backend group', l.backendGroup, `${path}.listeners[${k}].backendGroup`);
    });
  });
  (plan.transitIps ?? []).forEach((e, i) => {
    if (!isExisting(e)) ref(subnets, 'subnet', e.subnet, `transitIps[${i}].subnet`);
  });
  gateways.forEach((g, i) => {
    const path = `privateNatGateways[${i}]`;
    if (!isExisting(g)) {
      ref(vpcs, 'VPC', g.vpc, `${path}.vpc`);
      ref(subnets, 'subnet', g.subnet, `${path}.subnet`);
    }
    (g.dnatRules ?? []).forEach((r, j) => {
      const rulePath = `${path}.dnatRules[${j}]`;
      ref(tips, 'transit IP', r.transitIp, `${rulePath}.transitIp`);
      if (r.target.loadBalancer !== undefined)
        ref(lbs, 'load balancer', r.target.loadBalancer, `${rulePath}.target.loadBalancer`);
      if (r.target.server !== undefined) ref(servers, 'server', r.target.server, `${rulePath}.target.server`);
    });
    (g.snatRules ?? []).forEach((r, j) => {
      const rulePath = `${path}.snatRules[${j}]`;
      ref(tips, 'transit IP', r.transitIp, `${rulePath}.transitIp`);
      if (tryParseCidr(r.source) === undefined) ref(subnets, 'subnet', r.source, `${rulePath}.source`);
    });
  });
  (plan.verify ?? []).forEach((v, i) => {
    ref(servers, 'server', v.from, `verify[${i}].from`);
    if (tryParseIpv4(v.to) === undefined && !tips.has(v.to) && !servers.has(v.to)) {
      issues.push(
        new NotFoundError(`'${v.to}' is not an address, nor a transit IP's or server's name in the plan`, {
          path: `verify[${i}].to`,
        }).toIssue(),
      );
    }
  });
  return issues;
}
