/**
 * What a user typed for a resource — an id, `PLAN/NAME`, or a name — to one resource (docs/cli.md
 * "Names"): the one set of rules behind the CLI's `--from`, `--to`, `--gateway`, `ID` arguments, the
 * API's `from`, `to` and `gateway`, and a plan's `existing:`.
 *
 * In this order:
 * 1. an id: natflow's (`srv-…`), or the resource's id in its cloud (`externalId`, e.g. a Huawei UUID);
 * 2. `PLAN/NAME`: the resource named NAME that plan PLAN created (split at the first `/`; a name may
 *    hold more `/`). Resources created outside any plan — through the local Huawei API, or imported —
 *    have no plan: their id names them;
 * 3. a name: exactly one resource of the wanted types with that name — within `plan` when one is given
 *    (the CLI's `--plan`, the API's `plan`): only there (`strict`), or there first and then anywhere
 *    (`prefer`, a verify entry naming what another plan created).
 *
 * A name matching several resources is AMBIGUOUS_NAME; its message and `details.candidates` list each
 * candidate ready to copy: `PLAN/NAME` when that names it alone, its id otherwise (no plan, or two of
 * one name in one plan). `details.ids` lists their ids. Nothing matching is NOT_FOUND.
 *
 * The rules are pure (`chooseResource`, over the candidates a lookup found): `resolveResource` reads
 * them from a store, the probe's model (src/probe/model.ts) from its indexes.
 */
import { AmbiguousNameError, NotFoundError } from './errors.ts';
import type { Resource, ResourceType } from './resources.ts';
import { keys, type StoreReader } from './store.ts';

/** A plan's name (docs/plan-format.md): what may stand before the `/` of `PLAN/NAME`. */
const PLAN_NAME = /^[a-z0-9-]{1,64}$/;

/**
 * `PLAN/NAME` split at its first `/`, when what stands before it can be a plan's name.
 *
 * @example splitQualified('app-a-to-elb01/ECS-A') // { plan: 'app-a-to-elb01', name: 'ECS-A' }
 */
export function splitQualified(text: string): { plan: string; name: string } | undefined {
  const slash = text.indexOf('/');
  if (slash <= 0 || slash === text.length - 1) return undefined;
  const plan = text.slice(0, slash);
  return PLAN_NAME.test(plan) ? { plan, name: text.slice(slash + 1) } : undefined;
}

/** How scoping by a plan applies to a name: only within it, or within it first. */
export type PlanScope = 'strict' | 'prefer';

/** What a lookup found for one reference, already limited to the wanted types. */
export interface Candidates {
  /** The resource with this id (natflow's, or its cloud's), if any. */
  byId?: Resource | undefined;
  /** For `PLAN/NAME`: the resources named NAME in PLAN. */
  qualified?: readonly Resource[] | undefined;
  /** The resources with exactly this name (in every plan, or none). */
  named: readonly Resource[];
}

export interface ChooseOptions {
  /** The plan names resolve in (`--plan`, the API's `plan`). */
  plan?: string | undefined;
  scope?: PlanScope;
}

/** How `resource` is named alone among `candidates`: `PLAN/NAME`, else its id. */
export function labelOf(resource: Resource, candidates: readonly Resource[]): string {
  if (resource.plan === undefined || resource.plan === null) return resource.id;
  const twins = candidates.filter((r) => r.plan === resource.plan && r.name === resource.name);
  return twins.length === 1 ? `${resource.plan}/${resource.name}` : resource.id;
}

/** What a list of types reads as: `server`, `transit-ip or server`. */
function wantedOf(types: readonly ResourceType[]): string {
  return types.length <= 1
    ? (types[0] ?? 'resource')
    : `${types.slice(0, -1).join(', ')} or ${types[types.length - 1]}`;
}

/** AMBIGUOUS_NAME for `text`, listing every candidate ready to copy. */
export function ambiguousName(text: string, matches: readonly Resource[]): AmbiguousNameError {
  const candidates = matches.map((r) => labelOf(r, matches));
  const listed = matches
    .map((r, i) => `${candidates[i]}${r.plan ? '' : ` (${r.type} in no plan)`}`)
    .join(', ');
  return new AmbiguousNameError(
    `'${text}' names ${matches.length} resources: ${listed}; give one of them (PLAN/NAME or an id) instead`,
    { details: { name: text, candidates, ids: matches.map((r) => r.id) } },
  );
}

/**
 * The one resource a reference names, by the rules above, from what a lookup found.
 *
 * @example chooseResource('ECS-A', ['server'], { named: [a, b] }) // AMBIGUOUS_NAME listing p1/ECS-A, srv-…
 */
export function chooseResource(
  text: string,
  types: readonly ResourceType[],
  found: Candidates,
  options: ChooseOptions = {},
): Resource {
  if (found.byId && types.includes(found.byId.type)) return found.byId;
  const qualified = found.qualified ?? [];
  if (qualified.length === 1) return qualified[0] as Resource;
  if (qualified.length > 1) throw ambiguousName(text, qualified);
  const { plan, scope = 'strict' } = options;
  const inPlan = plan === undefined ? found.named : found.named.filter((r) => r.plan === plan);
  const matches = scope === 'prefer' && inPlan.length === 0 ? found.named : inPlan;
  if (matches.length === 1) return matches[0] as Resource;
  if (matches.length > 1) throw ambiguousName(text, matches);
  const where = plan === undefined || scope === 'prefer' ? '' : ` in plan ${plan}`;
  const hint = found.byId ? ` (${text} is a ${found.byId.type})` : '';
  throw new NotFoundError(`no ${wantedOf(types)} named or with the id '${text}'${where}${hint}`, {
    details: { nameOrId: text, types: [...types], ...(plan === undefined ? {} : { plan }) },
  });
}

/**
 * Resolves a reference against a store (names strictly within `plan` when one is given).
 *
 * @example await resolveResource(store, 'private-nat-gateway', 'app-a-to-elb01/private_nat_gateway')
 */
export async function resolveResource(
  store: StoreReader,
  type: ResourceType | readonly ResourceType[],
  nameOrId: string,
  plan?: string,
): Promise<Resource> {
  const types: readonly ResourceType[] = typeof type === 'string' ? [type] : type;
  const byId = (await store.get(nameOrId)) ?? (await store.getByKey(keys.external(nameOrId)));
  if (byId && types.includes(byId.type)) return byId;
  const split = splitQualified(nameOrId);
  const qualified = split
    ? (await store.list({ plan: split.plan })).filter((r) => types.includes(r.type) && r.name === split.name)
    : undefined;
  const named: Resource[] = [];
  if (!qualified?.length) {
    for (const t of types) {
      const candidates = await store.list({ type: t });
      named.push(...candidates.filter((r) => r.name === nameOrId));
    }
  }
  return chooseResource(nameOrId, types, { byId, qualified, named }, { plan, scope: 'strict' });
}
