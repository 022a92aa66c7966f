/**
 * Plan validation (docs/plan-format.md, docs/cli.md `natflow validate`): every problem at once, each with its path and
 * the most specific code, and nothing written to the real store.
 *
 * Three passes:
 * 1. **Shape** — `PlanSchema` (zod, strict).
 * 2. **Names** — DUPLICATE_NAME within a kind (subnets across the whole plan), unknown references
 *    (NOT_FOUND at the referencing field), verify entries' `from` and `to`. This pass runs even when the
 *    shape pass fails, over the entries that parse (`salvage`: an entry whose own fields parse keeps
 *    those of its list items that parse too), so one run reports a shape error and an unknown reference
 *    together. Names are read from the document as written, so a reference to an entry whose shape is
 *    wrong is not reported as unknown. A plan that fails its shape goes no further than this.
 * 3. **Semantics** — a dry run of the whole plan in the cloud's sandbox (`Cloud.dryRun`: for the virtual
 *    cloud an in-memory copy of the current store), through the same cloud and provisioning steps
 *    (`options.steps`, the workflows' step table) that provisioning runs: one source of truth
 *    for the rules of the rules table. Each failing entry is reported and skipped; entries depending on it are
 *    skipped silently. A plan already provisioned validates clean (its client tokens replay), and a
 *    changed one reports PLAN_CHANGED — as does a plan recorded in another cloud than this one (a plan
 *    lives in one cloud of a store: its names and client tokens are the plan's), before any dry run.
 */

import { type DryRunSource, dryRunOf } from '../cloud/dry-run.ts';
import { DuplicateNameError, type Issue, NotFoundError, PlanChangedError } from '../cloud/errors.ts';
import { tryParseCidr, tryParseIpv4 } from '../net/ipv4.ts';
import { cloudOfResource } from '../providers/registry.ts';
import {
  BackendGroupEntrySchema,
  BackendMemberEntrySchema,
  DnatRuleEntrySchema,
  dedupeIssues,
  GatewayEntrySchema,
  isExisting,
  ListenerEntrySchema,
  LoadBalancerEntrySchema,
  type Plan,
  PlanSchema,
  planIssuesFromZod,
  ServerEntrySchema,
  SnatRuleEntrySchema,
  SubnetEntrySchema,
  TransitIpEntrySchema,
  VerifyEntrySchema,
  VpcEntrySchema,
} from './plan.ts';
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
  if (!parsed.success) {
    // Every problem at once: the shape's, and the names and references of the entries that parse.
    const errors = [...planIssuesFromZod(parsed.error), ...checkNames(salvage(input), input)];
    return { valid: false, errors: dedupeIssues(errors) };
  }
  const plan = parsed.data;

  const nameIssues = checkNames(plan, input);
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
  const elsewhere = await recordedElsewhere(cloud, plan.name);
  if (elsewhere) return { valid: false, errors: dedupeIssues([...nameIssues, elsewhere]), plan };
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

/**
 * PLAN_CHANGED when what the store records for this plan is in another cloud than the one the dry run
 * reads: provisioning it here would collide with those resources (same names, same client tokens),
 * and counting them as "already provisioned" would be a lie about this cloud.
 */
async function recordedElsewhere(
  cloud: { name: string; list: (query: { plan: string }) => Promise<{ cloud?: string }[]> },
  plan: string,
): Promise<Issue | undefined> {
  const recorded = await cloud.list({ plan });
  const other = recorded.map((r) => cloudOfResource(r)).find((name) => name !== cloud.name);
  if (other === undefined) return undefined;
  const count = recorded.filter((r) => cloudOfResource(r) === other).length;
  return new PlanChangedError(
    `plan ${plan} is provisioned in the ${other} cloud here (${count} resource${count === 1 ? '' : 's'}), not in ${cloud.name}: a plan lives in one cloud of a data directory — tear it down first (natflow teardown ${plan}), or provision it into ${cloud.name} under another name or from another data directory (--data-dir)`,
    { path: 'cloud', details: { plan, recordedIn: other, cloud: cloud.name } },
  ).toIssue();
}

/** A plan's lists with a hole (`undefined`) where an entry did not parse, nested lists too. */
type Holes<T> = T extends readonly (infer E)[]
  ? (Holes<E> | undefined)[]
  : T extends object
    ? { [K in keyof T]: Holes<T[K]> }
    : T;

/** The entries of a plan that fails its shape that parse on their own (`checkNames` over them). */
export type SalvagedPlan = Partial<Holes<Plan>>;

interface Schema {
  safeParse(value: unknown): { success: true; data: unknown } | { success: false };
}

const SECTIONS: Readonly<Record<string, { entry: Schema; lists?: Readonly<Record<string, Schema>> }>> = {
  vpcs: { entry: VpcEntrySchema, lists: { subnets: SubnetEntrySchema } },
  servers: { entry: ServerEntrySchema },
  backendGroups: { entry: BackendGroupEntrySchema, lists: { members: BackendMemberEntrySchema } },
  loadBalancers: { entry: LoadBalancerEntrySchema, lists: { listeners: ListenerEntrySchema } },
  transitIps: { entry: TransitIpEntrySchema },
  privateNatGateways: {
    entry: GatewayEntrySchema,
    lists: { dnatRules: DnatRuleEntrySchema, snatRules: SnatRuleEntrySchema },
  },
  verify: { entry: VerifyEntrySchema },
};

/**
 * The entries of a document that parse, at their own indices (the paths stay the document's): an
 * entry whose own fields parse but a list item does not (a gateway with one bad DNAT rule) keeps the
 * items that parse.
 */
export function salvage(input: unknown): SalvagedPlan {
  const out: Record<string, unknown> = {};
  if (!isRecord(input)) return out;
  for (const [section, { entry, lists = {} }] of Object.entries(SECTIONS)) {
    const items = input[section];
    if (Array.isArray(items)) out[section] = items.map((item) => salvageEntry(item, entry, lists));
  }
  return out as SalvagedPlan;
}

function salvageEntry(item: unknown, entry: Schema, lists: Readonly<Record<string, Schema>>): unknown {
  const whole = entry.safeParse(item);
  if (whole.success) return whole.data;
  if (!isRecord(item) || Object.keys(lists).length === 0) return undefined;
  // The entry without its lists, then each list's items on their own.
  const bare: Record<string, unknown> = { ...item };
  for (const key of Object.keys(lists)) if (Array.isArray(bare[key])) bare[key] = [];
  const head = entry.safeParse(bare);
  if (!head.success) return undefined;
  const data = { ...(head.data as Record<string, unknown>) };
  for (const [key, schema] of Object.entries(lists)) {
    const list = item[key];
    if (!Array.isArray(list)) continue;
    data[key] = list.map((element) => {
      const parsed = schema.safeParse(element);
      return parsed.success ? parsed.data : undefined;
    });
  }
  return data;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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

/** An entry's name as written, and the path of the entry. */
interface Named {
  name: string | undefined;
  path: string;
}

/** The names of a list's entries as written (entries that are no object, or have no name, are skipped). */
function namedIn(list: unknown, path: string): Named[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((item, i) =>
    isRecord(item) && typeof item.name === 'string' ? [{ name: item.name, path: `${path}[${i}]` }] : [],
  );
}

/** The records of a list, with their index (the rest skipped). */
function recordsIn(list: unknown): [Record<string, unknown>, number][] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((item, i): [Record<string, unknown>, number][] => (isRecord(item) ? [[item, i]] : []));
}

/**
 * DUPLICATE_NAME and unknown references (NOT_FOUND), with the path of the offending field. Names come
 * from `document`, the plan as written (so an entry whose shape is wrong still names something); the
 * references are checked on `plan`'s entries — all of them, or those that parse (`salvage`).
 */
export function checkNames(plan: SalvagedPlan, document: unknown = plan): Issue[] {
  const issues: Issue[] = [];
  const written = isRecord(document) ? document : {};
  const names = (label: string, entries: readonly Named[]) => {
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
  const writtenVpcs = recordsIn(written.vpcs);
  const writtenGateways = recordsIn(written.privateNatGateways);
  const vpcs = names('VPC', namedIn(written.vpcs, 'vpcs'));
  const subnets = names(
    'subnet',
    writtenVpcs.flatMap(([vpc, i]) => namedIn(vpc.subnets, `vpcs[${i}].subnets`)),
  );
  const servers = names('server', namedIn(written.servers, 'servers'));
  const groups = names('backend group', namedIn(written.backendGroups, 'backendGroups'));
  const lbs = names('load balancer', namedIn(written.loadBalancers, 'loadBalancers'));
  for (const [lb, i] of recordsIn(written.loadBalancers)) {
    if (typeof lb.existing === 'string') continue;
    names('listener', namedIn(lb.listeners, `loadBalancers[${i}].listeners`));
  }
  const tips = names('transit IP', namedIn(written.transitIps, 'transitIps'));
  names('private NAT gateway', namedIn(written.privateNatGateways, 'privateNatGateways'));
  names(
    'DNAT rule',
    writtenGateways.flatMap(([g, i]) => namedIn(g.dnatRules, `privateNatGateways[${i}].dnatRules`)),
  );
  names(
    'SNAT rule',
    writtenGateways.flatMap(([g, i]) => namedIn(g.snatRules, `privateNatGateways[${i}].snatRules`)),
  );
  names('verify entry', namedIn(written.verify, 'verify'));

  const ref = (known: Set<string>, label: string, name: string, path: string) => {
    if (!known.has(name)) {
      issues.push(new NotFoundError(`no ${label} named '${name}' in the plan`, { path }).toIssue());
    }
  };
  (plan.servers ?? []).forEach((e, i) => {
    if (e && !isExisting(e)) ref(subnets, 'subnet', e.subnet, `servers[${i}].subnet`);
  });
  (plan.backendGroups ?? []).forEach((e, i) => {
    (e?.members ?? []).forEach((m, k) => {
      if (m) ref(servers, 'server', m.server, `backendGroups[${i}].members[${k}].server`);
    });
  });
  (plan.loadBalancers ?? []).forEach((e, i) => {
    if (!e || isExisting(e)) return;
    const path = `loadBalancers[${i}]`;
    ref(vpcs, 'VPC', e.vpc, `${path}.vpc`);
    ref(subnets, 'subnet', e.frontendSubnet, `${path}.frontendSubnet`);
    if (e.backendSubnet !== undefined) ref(subnets, 'subnet', e.backendSubnet, `${path}.backendSubnet`);
    (e.listeners ?? []).forEach((l, k) => {
      if (l) ref(groups, 'backend group', l.backendGroup, `${path}.listeners[${k}].backendGroup`);
    });
  });
  (plan.transitIps ?? []).forEach((e, i) => {
    if (e && !isExisting(e)) ref(subnets, 'subnet', e.subnet, `transitIps[${i}].subnet`);
  });
  (plan.privateNatGateways ?? []).forEach((g, i) => {
    if (!g) return;
    const path = `privateNatGateways[${i}]`;
    if (!isExisting(g)) {
      ref(vpcs, 'VPC', g.vpc, `${path}.vpc`);
      ref(subnets, 'subnet', g.subnet, `${path}.subnet`);
    }
    (g.dnatRules ?? []).forEach((r, j) => {
      if (!r) return;
      const rulePath = `${path}.dnatRules[${j}]`;
      ref(tips, 'transit IP', r.transitIp, `${rulePath}.transitIp`);
      if (r.target.loadBalancer !== undefined)
        ref(lbs, 'load balancer', r.target.loadBalancer, `${rulePath}.target.loadBalancer`);
      if (r.target.server !== undefined) ref(servers, 'server', r.target.server, `${rulePath}.target.server`);
    });
    (g.snatRules ?? []).forEach((r, j) => {
      if (!r) return;
      const rulePath = `${path}.snatRules[${j}]`;
      ref(tips, 'transit IP', r.transitIp, `${rulePath}.transitIp`);
      if (tryParseCidr(r.source) === undefined) ref(subnets, 'subnet', r.source, `${rulePath}.source`);
    });
  });
  (plan.verify ?? []).forEach((v, i) => {
    if (!v) return;
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
