/**
 * Drift repaired when a provisioning replays a resource that an earlier execution created
 * (docs/real-cloud.md#change-drift): the resource is read back (`readOne`) and
 * - **gone** from the account: its record becomes an intent again, for this execution — same natflow id
 *   (what references it still does), the old Huawei id kept in `previous` with when it was found gone,
 *   `createdAt` now — and the provider's create path recreates it under the same client token (a crash
 *   in between adopts the new one by its token, never a second one). Its dependants are replayed by
 *   their own steps after it, and recreated or re-pointed in turn (a VPC's subnets are gone with it; a
 *   listener whose pool was recreated is pointed at the new pool).
 * - **being deleted** (a load balancer `PENDING_DELETE`): not ready — the workflow waits, then recreates.
 * - **changed** in fields Huawei updates in place (`UPDATABLE`): updated back to what the plan says,
 *   through the update operations of the API; the ledger already says so.
 * - **changed** in any other managed field: DRIFT_REQUIRES_REPLACE (the dry run refuses it before
 *   anything is created; this is the safety net).
 */

import { constraintKeysOf } from '../../cloud/constraints.ts';
import { externalIdOf } from '../../cloud/control-plane.ts';
import { type Drift, describeFields, driftOf, type FieldDrift } from '../../cloud/drift.ts';
import { DriftRequiresReplaceError, NotReadyError } from '../../cloud/errors.ts';
import type { CreateContext } from '../../cloud/inputs.ts';
import type {
  BackendGroup,
  Listener,
  Resource,
  SecurityGroup,
  SecurityGroupRule,
} from '../../cloud/resources.ts';
import { referencesOf } from '../../cloud/resources.ts';
import type { Account } from './account.ts';
import { ensureIpGroup, ensureMembers, ensureRules, targetOf } from './children.ts';
import { hwId } from './lifecycle.ts';
import { inboundOf, lbAlgorithmOf } from './mapping.ts';
import { wirePort } from './nat.ts';
import { readOne, UPDATABLE } from './read-back.ts';

/**
 * The realised `record` checked against the account before it is replayed: answered as it is (no drift,
 * or repaired in place), or as an intent to recreate (not realised: the caller's create path runs).
 */
export async function repairDrift<T extends Resource>(
  account: Account,
  record: T,
  ctx: CreateContext,
): Promise<T> {
  const read = await readOne(account, record);
  if (read.state === 'deleting') {
    throw new NotReadyError(
      `${record.type} ${record.name} (${record.id}) is being deleted on Huawei Cloud (${read.status}): natflow recreates it once it is gone`,
      { details: { id: record.id, externalId: record.externalId } },
    );
  }
  if (read.state === 'gone') return asIntent(account, record, ctx);
  const drift = driftOf(record, read.observed, UPDATABLE);
  if (!drift?.fields) return record;
  if (drift.replace) throw replacementRefused(drift, ctx.path);
  await updateInPlace(account, record, drift.fields);
  return record;
}

/** DRIFT_REQUIRES_REPLACE for a drift only a replacement would repair, at the entry's path. */
export function replacementRefused(drift: Drift, path: string | undefined): DriftRequiresReplaceError {
  return new DriftRequiresReplaceError(
    `${drift.kind} ${drift.name} (${drift.externalId}) changed on Huawei Cloud in a way only replacing it would repair (${describeFields(drift.fields ?? [])}): natflow does not replace it — change it back there, or delete it there and provision again to recreate it`,
    { ...(path ? { path } : {}), details: { id: drift.id, fields: drift.fields ?? [] } },
  );
}

/**
 * A record whose cloud resource is gone, made an intent of this execution again: the old Huawei id moves
 * to `previous`, `externalId` back to the one derived from the natflow id (so it is no longer realised).
 */
async function asIntent<T extends Resource>(account: Account, record: T, ctx: CreateContext): Promise<T> {
  const now = new Date(account.clock.now()).toISOString();
  const intent = {
    ...record,
    status: 'PENDING',
    createdAt: now,
    execution: ctx.execution ?? record.execution,
    externalId: externalIdOf(record.id),
    previous: [
      ...(record.previous ?? []),
      {
        externalId: record.externalId as string,
        createdAt: record.createdAt,
        execution: record.execution,
        goneAt: now,
      },
    ],
  } as T;
  await account.store.transaction([record.id], async (tx) => {
    await tx.remove(record.id);
    await tx.insert(intent, { keys: [...new Set(constraintKeysOf(intent))], refs: referencesOf(intent) });
  });
  return intent;
}

/** Puts the changed fields back as the record says, with Huawei's update operations. */
async function updateInPlace(
  account: Account,
  record: Resource,
  fields: readonly FieldDrift[],
): Promise<void> {
  const changed = new Set(fields.map((f) => f.field));
  const id = record.externalId as string;
  const { vpc, elb, nat } = account.api;
  switch (record.type) {
    case 'vpc':
      await vpc.updateVpc(id, { cidr: record.cidr });
      return;
    case 'security-group':
      await pruneRules(account, record);
      await ensureRules(account, record);
      return;
    case 'backend-group':
      if (changed.has('algorithm'))
        await elb.updatePool(id, { lb_algorithm: lbAlgorithmOf(record.algorithm) });
      await prunePool(account, record, changed);
      await ensureMembers(account, record);
      return;
    case 'listener':
      await elb.updateListener(id, {
        ...(changed.has('backendGroupId')
          ? { default_pool_id: await hwId(account, record.backendGroupId) }
          : {}),
        ...(changed.has('accessControl')
          ? { ipgroup: (await ensureIpGroup(account, record as Listener)) ?? null }
          : {}),
      });
      return;
    case 'private-nat-gateway':
      await nat.updateGateway(id, { spec: record.spec });
      return;
    case 'dnat-rule':
      await nat.updateDnatRule(id, {
        transit_ip_id: await hwId(account, record.transitIpId),
        protocol: record.protocol,
        internal_service_port: wirePort(record.internalPort),
        transit_service_port: wirePort(record.transitPort),
        ...(changed.has('target') ? await targetOf(account, record) : {}),
      });
      return;
    case 'snat-rule':
      await nat.updateSnatRule(id, { transit_ip_ids: [await hwId(account, record.transitIpId)] });
      return;
    default:
      // No other kind has a field in UPDATABLE: driftOf made it a replacement.
      return;
  }
}

/** Deletes the group's IPv4 ingress rules by CIDR that the record does not have (ensureRules adds the rest). */
async function pruneRules(account: Account, group: SecurityGroup): Promise<void> {
  const key = (r: SecurityGroupRule) =>
    r.protocol === 'any' ? `any:${r.source}` : `${r.protocol}:${r.fromPort}:${r.toPort}:${r.source}`;
  const wanted = new Set(group.inbound.map(key));
  const hw = await account.api.vpc.showSecurityGroup(group.externalId as string);
  for (const rule of hw.security_group_rules ?? []) {
    // A rule natflow does not model (egress, IPv6, by remote group) maps to nothing and is left alone.
    const [mapped] = inboundOf([rule]);
    if (mapped && !wanted.has(key(mapped))) await account.api.vpc.deleteSecurityGroupRule(rule.id);
  }
}

/** Deletes the members the record does not have, and a health monitor that is not the record's. */
async function prunePool(account: Account, group: BackendGroup, changed: ReadonlySet<string>): Promise<void> {
  const poolId = group.externalId as string;
  if (changed.has('members')) {
    const wanted = new Set<string>();
    for (const member of group.members) {
      const server = await account.model.require(member.serverId, 'server');
      wanted.add(`${server.ip}:${member.port}:${member.weight}`);
    }
    for (const member of await account.api.elb.listMembers(poolId)) {
      if (!wanted.has(`${member.address}:${member.protocol_port}:${member.weight ?? 1}`))
        await account.api.elb.deleteMember(poolId, member.id);
    }
  }
  if (changed.has('healthCheck')) {
    const pool = await account.api.elb.showPool(poolId);
    if (pool.healthmonitor_id) await account.api.elb.deleteHealthMonitor(pool.healthmonitor_id);
  }
}
