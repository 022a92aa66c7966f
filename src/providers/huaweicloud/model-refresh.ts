/**
 * The refresh of natflow's model of the account before a dry run (docs/clouds.md, "dry runs read the
 * cloud"): the part of the account a plan references, re-imported through the API.
 */
import { RESOURCE_TYPES, type Resource } from '../../cloud/resources.ts';
import { keys } from '../../cloud/store.ts';
import type { Account } from './account.ts';
import { discoverAccount } from './discovery.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Re-reads, through the API, the part of the account a plan references before its dry run: the VPCs of
 * the imported resources it names (natflow's own are current in the ledger), or the whole account when
 * it names a Huawei id natflow has never read.
 */
export async function refreshModel(account: Account, references: readonly string[]): Promise<void> {
  const vpcs = new Set<string>();
  let everything = false;
  for (const ref of references) {
    const known =
      (await account.store.get(ref)) ??
      (await account.store.getByKey(keys.external(ref))) ??
      (await account.model.resolve(RESOURCE_TYPES, ref).catch(() => undefined));
    if (!known) {
      if (UUID.test(ref)) everything = true;
      continue;
    }
    if (!known.imported) continue;
    const vpc = await vpcOf(account, known);
    if (vpc?.externalId) vpcs.add(vpc.externalId);
  }
  if (everything) await discoverAccount(account);
  else if (vpcs.size > 0) await discoverAccount(account, { vpcs: [...vpcs] });
}

async function vpcOf(account: Account, resource: Resource): Promise<Resource | undefined> {
  if (resource.type === 'vpc') return resource;
  if ('vpcId' in resource && typeof resource.vpcId === 'string') return account.store.get(resource.vpcId);
  const parent =
    resource.type === 'listener'
      ? resource.loadBalancerId
      : resource.type === 'dnat-rule' || resource.type === 'snat-rule'
        ? resource.gatewayId
        : undefined;
  const p = parent ? await account.store.get(parent) : undefined;
  return p ? vpcOf(account, p) : undefined;
}
