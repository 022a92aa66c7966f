/**
 * Resolves what a user typed (an id or a name) to one resource, as the CLI's `--plan` and the API's
 * `plan` field scope it (docs/cli.md): an id wins; otherwise the name must match exactly one resource
 * of the wanted types (within the plan when one is given). Several matches are AMBIGUOUS_NAME with their
 * ids in `details.ids`, so the user can pick one.
 */
import { AmbiguousNameError, NotFoundError } from './errors.ts';
import type { Resource, ResourceType } from './resources.ts';
import type { StoreReader } from './store.ts';

/**
 * @example await resolveResource(store, 'private-nat-gateway', 'private_nat_gateway', 'app-a-to-elb01')
 */
export async function resolveResource(
  store: StoreReader,
  type: ResourceType | readonly ResourceType[],
  nameOrId: string,
  plan?: string,
): Promise<Resource> {
  const types: readonly ResourceType[] = typeof type === 'string' ? [type] : type;
  const wanted = types.join(' or ');
  const byId = await store.get(nameOrId);
  // An id is unambiguous: it resolves whatever plan is given.
  if (byId && types.includes(byId.type)) return byId;

  const matches: Resource[] = [];
  for (const t of types) {
    const candidates = await store.list(plan === undefined ? { type: t } : { type: t, plan });
    matches.push(...candidates.filter((r) => r.name === nameOrId));
  }
  if (matches.length === 1) return matches[0] as Resource;
  if (matches.length > 1) {
    const ids = matches.map((r) => r.id);
    throw new AmbiguousNameError(
      `'${nameOrId}' names ${matches.length} resources (${ids.join(', ')}); give an id${plan === undefined ? ' or --plan' : ''}`,
      { details: { ids } },
    );
  }
  const scope = plan === undefined ? '' : ` in plan ${plan}`;
  const hint = byId ? ` (${nameOrId} is a ${byId.type})` : '';
  throw new NotFoundError(`no ${wanted} named or with the id '${nameOrId}'${scope}${hint}`, {
    details: { nameOrId, types: [...types], ...(plan === undefined ? {} : { plan }) },
  });
}
