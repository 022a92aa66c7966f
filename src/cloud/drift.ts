/**
 * Drift (docs/real-cloud.md#change-drift): what a real cloud holds against what natflow recorded for a
 * plan. A provider reads its cloud back and hands each recorded resource's *observed* managed fields
 * (natflow's names and values: ids are natflow ids where natflow knows the cloud's id) to `driftOf`,
 * which tells whether the resource is gone, changed, or as recorded.
 *
 * Design:
 * - **Managed fields** are the ones natflow sets from the plan (`MANAGED_FIELDS`): CIDRs, addresses,
 *   ports, protocols, targets, listener and pool settings, security group rules, the gateway's spec and
 *   the references between resources. Names, descriptions, tags and statuses are not: a rename in the
 *   cloud's console is no drift, and a status is what `refresh` follows.
 * - **Only what the provider observed is compared.** A field the provider could not read back is left
 *   out of `observed` and is never reported, so a provider that reads less reports less, never wrongly.
 * - **Sets compare as sets.** Security group rules, pool members and availability zones compare
 *   whatever their order; a health check's path counts only for HTTP (default `/`).
 * - **Repair is the provider's to decide.** Which changed fields its cloud can update in place is a
 *   table the provider hands in (`UpdatableFields`); a change to any other field makes the drift
 *   `replace: true`, which natflow refuses to repair (DRIFT_REQUIRES_REPLACE) rather than replace.
 *
 * @example
 * driftOf(rule, { internalPort: 8080 }, { 'dnat-rule': ['internalPort'] })
 * // { id, kind: 'dnat-rule', name, externalId, change: 'changed',
 * //   fields: [{ field: 'internalPort', recorded: 80, actual: 8080 }] }
 */
import { z } from 'zod';
import { RESOURCE_TYPES, type Resource, type ResourceType } from './resources.ts';

/** The managed fields of each kind: what natflow sets from the plan and compares with the cloud. */
export const MANAGED_FIELDS = {
  vpc: ['cidr'],
  subnet: ['vpcId', 'cidr', 'gatewayIp'],
  'security-group': ['vpcId', 'inbound'],
  server: ['ip'],
  'backend-group': ['protocol', 'algorithm', 'healthCheck', 'members'],
  'load-balancer': ['ip', 'azs'],
  listener: ['loadBalancerId', 'protocol', 'port', 'backendGroupId', 'accessControl'],
  'transit-ip': ['subnetId', 'ip'],
  'private-nat-gateway': ['subnetId', 'downlinkIp', 'spec'],
  'dnat-rule': ['gatewayId', 'transitIpId', 'protocol', 'transitPort', 'internalPort', 'target'],
  'snat-rule': ['gatewayId', 'subnetId', 'cidr', 'transitIpId'],
} as const satisfies Record<ResourceType, readonly string[]>;

/** The fields whose values are sets (their order means nothing). */
const SET_FIELDS: ReadonlySet<string> = new Set(['inbound', 'members', 'azs']);

export const DRIFT_CHANGES = ['gone', 'changed'] as const;
export type DriftChange = (typeof DRIFT_CHANGES)[number];

/** One managed field the cloud holds otherwise: natflow's values, as recorded and as found. */
export const FieldDriftSchema = z.object({
  field: z.string(),
  recorded: z.unknown(),
  actual: z.unknown(),
});
export type FieldDrift = z.infer<typeof FieldDriftSchema>;

/** A recorded resource that is gone from its cloud, or whose managed fields changed there. */
export interface Drift {
  /** natflow's id of the resource. */
  id: string;
  kind: ResourceType;
  name: string;
  /** The cloud's id natflow recorded for it. */
  externalId: string;
  change: DriftChange;
  /** `changed`: each managed field that differs. */
  fields?: FieldDrift[];
  /** `changed`: a field changed that the cloud cannot update in place; only replacing would repair it. */
  replace?: boolean;
}

/** What a provider read back of a resource: its managed fields, as natflow names and values them. */
export type Observed = Readonly<Record<string, unknown>>;

/** Per kind, the managed fields a provider's cloud can update in place (the rest need a replacement). */
export type UpdatableFields = Readonly<Partial<Record<ResourceType, readonly string[]>>>;

/**
 * The managed fields of `recorded` that `observed` holds otherwise, in `MANAGED_FIELDS` order. A field
 * missing from `observed` (the provider did not read it) is not compared.
 */
export function compareManaged(recorded: Resource, observed: Observed): FieldDrift[] {
  const out: FieldDrift[] = [];
  const values = recorded as unknown as Record<string, unknown>;
  for (const field of MANAGED_FIELDS[recorded.type] as readonly string[]) {
    if (!(field in observed)) continue;
    const before = normalize(field, values[field]);
    const after = normalize(field, observed[field]);
    if (canonical(field, before) !== canonical(field, after)) {
      out.push({ field, recorded: before, actual: after });
    }
  }
  return out;
}

/**
 * The drift of one recorded resource: `gone` when the cloud no longer has it (`observed` undefined),
 * `changed` with its fields when a managed field differs, undefined when it is as recorded.
 */
export function driftOf(
  recorded: Resource,
  observed: Observed | undefined,
  updatable: UpdatableFields,
): Drift | undefined {
  const base = {
    id: recorded.id,
    kind: recorded.type,
    name: recorded.name,
    externalId: recorded.externalId ?? '',
  };
  if (observed === undefined) return { ...base, change: 'gone' };
  const fields = compareManaged(recorded, observed);
  if (fields.length === 0) return undefined;
  const inPlace = new Set(updatable[recorded.type] ?? []);
  const replace = fields.some((f) => !inPlace.has(f.field));
  return { ...base, change: 'changed', fields, ...(replace ? { replace: true } : {}) };
}

/** `field: recorded → actual`, one per changed field (the preview's and the errors' wording). */
export function describeFields(fields: readonly FieldDrift[]): string {
  return fields.map((f) => `${f.field}: ${show(f.recorded)} → ${show(f.actual)}`).join('; ');
}

/** A value as a preview line shows it: scalars bare, `null` as `none`, the rest as compact JSON. */
export function show(value: unknown): string {
  if (value === null || value === undefined) return 'none';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  return JSON.stringify(value);
}

/**
 * The resources as the cloud holds them: the gone ones left out, the changed ones with their actual
 * managed fields — what an analysis of the cloud as it is (verification, a preview's "before") reads.
 */
export function applyDrift(resources: readonly Resource[], drift: readonly Drift[]): Resource[] {
  const byId = new Map(drift.map((d) => [d.id, d]));
  const out: Resource[] = [];
  for (const resource of resources) {
    const found = byId.get(resource.id);
    if (found?.change === 'gone') continue;
    if (!found?.fields) {
      out.push(resource);
      continue;
    }
    const patched: Record<string, unknown> = { ...resource };
    for (const f of found.fields)
      if (f.actual !== undefined && f.actual !== null) patched[f.field] = f.actual;
    out.push(patched as Resource);
  }
  return out;
}

/**
 * The detail of a `DriftDetected` event (docs/events.md#driftdetected):
 * `{plan, cloud, drift: [{kind, name, externalId, change, fields?}]}`. infra/bus.yml registers its JSON
 * schema (draft 4) in the stage's EventBridge schema registry.
 */
export const DriftDetectedDetailSchema = z.object({
  plan: z.string(),
  cloud: z.string(),
  drift: z.array(
    z.object({
      kind: z.enum(RESOURCE_TYPES),
      name: z.string(),
      externalId: z.string(),
      change: z.enum(DRIFT_CHANGES),
      fields: z.array(FieldDriftSchema).optional(),
    }),
  ),
});
export type DriftDetectedDetail = z.infer<typeof DriftDetectedDetailSchema>;

/** `DriftDetected`'s detail for a plan's drift on `cloud`. */
export function driftDetectedDetail(
  plan: string,
  cloud: string,
  drift: readonly Drift[],
): DriftDetectedDetail {
  return {
    plan,
    cloud,
    drift: drift.map((d) => ({
      kind: d.kind,
      name: d.name,
      externalId: d.externalId,
      change: d.change,
      ...(d.fields ? { fields: d.fields } : {}),
    })),
  };
}

// ---------------------------------------------------------------------------------------------- values

/**
 * Values that mean the same compare the same: a health check's path matters for HTTP only and defaults to
 * `/` there (as natflow creates it); an inbound rule for any protocol covers every port.
 */
function normalize(field: string, value: unknown): unknown {
  if (field === 'inbound' && Array.isArray(value)) {
    return value.map((rule: { protocol?: string }) =>
      rule?.protocol === 'any' ? { ...rule, fromPort: 1, toPort: 65535 } : rule,
    );
  }
  if (field !== 'healthCheck' || value === null || typeof value !== 'object') return value;
  const { path, ...rest } = value as { protocol?: string; path?: string };
  return rest.protocol === 'HTTP' ? { ...rest, path: path ?? '/' } : rest;
}

/** A value's comparable text: object keys sorted, set fields' elements sorted. */
function canonical(field: string, value: unknown): string {
  const text = stable(value);
  if (!SET_FIELDS.has(field) || !Array.isArray(value)) return text;
  return `[${value
    .map((v) => stable(v))
    .sort()
    .join(',')}]`;
}

function stable(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stable(v)}`).join(',')}}`;
}
