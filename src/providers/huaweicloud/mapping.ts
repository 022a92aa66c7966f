/**
 * natflow's resources ↔ Huawei Cloud's JSON, both ways, as pure functions (`docs/field-mapping.md` is the
 * table). Requests: natflow's record (already checked and addressed by the model) → the API body, with the
 * client token's marker in `description` and tags. Answers: the API's status → natflow's lifecycle, and
 * (for `natflow import`) a Huawei resource → a natflow resource marked `imported`.
 *
 * The client token rides as `natflow:token=<32 hex>` (the first 128 bits of its SHA-256: Huawei
 * descriptions and tag values are short, tokens are not) in the description, which every resource natflow
 * creates has, and as the `natflow:token` tag where the API takes tags; `natflow:plan` names the plan.
 */
import { createHash } from 'node:crypto';
import { CloudResourceFailedError } from '../../cloud/errors.ts';
import type {
  AccessControl,
  App,
  BackendGroup,
  LifecycleStatus,
  Resource,
  SecurityGroupRule,
} from '../../cloud/resources.ts';
import type { HwJob } from './ecs.ts';

/** The token's digest as it appears on the cloud. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 32);
}

/** The description natflow writes on what it creates: the token marker, then a readable note. */
export function describe(token: string, plan: string | null): string {
  return `natflow:token=${tokenDigest(token)}${plan ? ` natflow:plan=${plan}` : ''} (created by natflow)`;
}

/** Tags in the `[{key, value}]` shape of NAT v3, ELB v3 and ECS `server_tags`. */
export function tagsOf(token: string, plan: string | null): Array<{ key: string; value: string }> {
  return [
    { key: 'natflow:token', value: tokenDigest(token) },
    ...(plan ? [{ key: 'natflow:plan', value: plan }] : []),
  ];
}

/** True when a Huawei resource carries this token (in its description, or its tags in either shape). */
export function carriesToken(
  resource: { description?: string | null; tags?: unknown },
  token: string,
): boolean {
  const digest = tokenDigest(token);
  if (resource.description?.includes(`natflow:token=${digest}`)) return true;
  const tags = Array.isArray(resource.tags) ? (resource.tags as unknown[]) : [];
  return tags.some((tag) =>
    typeof tag === 'string'
      ? tag === `natflow:token=${digest}` || tag === `natflow:token*${digest}`
      : (tag as { key?: string; value?: string })?.key === 'natflow:token' &&
        (tag as { value?: string }).value === digest,
  );
}

/**
 * The `user_data` (base64, as ECS takes it) that starts a server's applications: the reference's own
 * `python3 -m http.server 80` for each HTTP or TCP app (a TCP connect to it succeeds). UDP apps have no
 * stock one-liner and are left to the image.
 */
export function userDataOf(apps: readonly App[]): string | undefined {
  const lines = apps
    .filter((app) => app.protocol !== 'udp')
    .map((app) => `nohup python3 -m http.server ${app.port} >/var/log/natflow-http-${app.port}.log 2>&1 &`);
  if (lines.length === 0) return undefined;
  return Buffer.from(`#!/bin/bash\n# natflow: the plan's applications\n${lines.join('\n')}\n`).toString(
    'base64',
  );
}

/** natflow's algorithm → ELB v3 `lb_algorithm` (Huawei's round robin is weighted by the members' weights). */
export function lbAlgorithmOf(algorithm: BackendGroup['algorithm']): string {
  return algorithm === 'least-connections' ? 'LEAST_CONNECTIONS' : 'ROUND_ROBIN';
}

/** ELB v3 `lb_algorithm` → natflow's. */
export function algorithmOf(lbAlgorithm: string, weights: readonly number[]): BackendGroup['algorithm'] {
  if (lbAlgorithm === 'LEAST_CONNECTIONS') return 'least-connections';
  return new Set(weights).size > 1 ? 'weighted-round-robin' : 'round-robin';
}

/** natflow's health check protocol → ELB v3 `healthmonitor.type`. */
export function monitorTypeOf(protocol: string): string {
  return protocol === 'UDP' ? 'UDP_CONNECT' : protocol;
}

/** Security group rules → VPC v1 rule bodies (one per natflow rule; `any` is every protocol and port). */
export function ruleBodiesOf(securityGroupId: string, inbound: readonly SecurityGroupRule[]) {
  return inbound.map((rule) => ({
    security_group_id: securityGroupId,
    direction: 'ingress' as const,
    ethertype: 'IPv4' as const,
    ...(rule.protocol === 'any'
      ? {}
      : { protocol: rule.protocol, port_range_min: rule.fromPort, port_range_max: rule.toPort }),
    remote_ip_prefix: rule.source,
    description: 'natflow',
  }));
}

/** VPC v1 ingress rules → natflow's inbound rules (a rule with no CIDR, by remote group, is not modelled). */
export function inboundOf(
  rules: ReadonlyArray<{
    direction: string;
    ethertype?: string;
    protocol?: string | null;
    port_range_min?: number | null;
    port_range_max?: number | null;
    remote_ip_prefix?: string | null;
  }>,
): SecurityGroupRule[] {
  const out: SecurityGroupRule[] = [];
  for (const rule of rules) {
    if (rule.direction !== 'ingress' || (rule.ethertype && rule.ethertype !== 'IPv4')) continue;
    if (!rule.remote_ip_prefix) continue;
    const protocol =
      rule.protocol === 'tcp' || rule.protocol === 'udp' ? rule.protocol : rule.protocol ? undefined : 'any';
    if (protocol === undefined) continue;
    out.push({
      protocol,
      fromPort: protocol === 'any' ? 1 : (rule.port_range_min ?? 1),
      toPort: protocol === 'any' ? 65535 : (rule.port_range_max ?? rule.port_range_min ?? 65535),
      source: rule.remote_ip_prefix,
    });
  }
  return out;
}

/**
 * A Huawei status → natflow's lifecycle, for the resource's type. Failed states throw
 * CLOUD_RESOURCE_FAILED naming the resource, so the workflow's Catch rolls back.
 */
export function lifecycleOf(
  resource: Pick<Resource, 'type' | 'name' | 'id'>,
  status: string | undefined,
): LifecycleStatus {
  const s = (status ?? '').toUpperCase();
  const failed = () =>
    new CloudResourceFailedError(
      `${resource.type} ${resource.name} (${resource.id}) is ${s} on Huawei Cloud`,
      {
        details: { id: resource.id, huaweiStatus: s },
      },
    );
  switch (resource.type) {
    case 'vpc':
      if (s === 'OK' || s === '') return 'ACTIVE';
      if (s === 'CREATING' || s === 'PENDING') return 'PENDING';
      throw failed();
    case 'subnet':
      if (s === 'ACTIVE' || s === 'OK' || s === '') return 'ACTIVE';
      if (s === 'UNKNOWN' || s === 'CREATING' || s === 'PENDING') return 'PENDING';
      throw failed();
    case 'server':
      if (s === 'ACTIVE' || s === 'SHUTOFF' || s === 'REBOOT' || s === 'HARD_REBOOT') return 'ACTIVE';
      if (s === 'BUILD' || s === 'REBUILD' || s === 'RUNNING' || s === 'INIT' || s === '') return 'PENDING';
      throw failed();
    case 'load-balancer':
    case 'listener':
    case 'backend-group':
      if (s === 'ACTIVE' || s === '') return 'ACTIVE';
      if (s.startsWith('PENDING')) return 'PENDING';
      throw failed();
    case 'private-nat-gateway':
    case 'dnat-rule':
    case 'snat-rule':
    case 'transit-ip':
      if (s === 'ACTIVE' || s === '') return 'ACTIVE';
      if (s === 'FROZEN') return 'FROZEN';
      // Private NAT's enum is ACTIVE | FROZEN | INACTIVE, with no creating state: a gateway, transit IP or
      // rule being set up is INACTIVE, not ready yet (natflow waits for it, up to its CLOUD_TIMEOUT).
      if (s === 'INACTIVE') return 'PENDING';
      if (s.startsWith('PENDING') || s === 'CREATING') return 'PENDING';
      throw failed();
    default:
      return 'ACTIVE';
  }
}

/** The server id an ECS job reports once it has one (its own entity or its first sub-job's). */
export function serverIdOfJob(job: HwJob): string | undefined {
  return (
    job.entities?.server_id ?? job.entities?.sub_jobs?.find((j) => j.entities?.server_id)?.entities?.server_id
  );
}

/** The load balancer's listener protocol → natflow's app protocol (an HTTP pool's member serves HTTP). */
export function appProtocolOf(poolProtocol: string): App['protocol'] | undefined {
  const p = poolProtocol.toUpperCase();
  if (p === 'HTTP' || p === 'HTTPS' || p === 'QUIC') return 'http';
  if (p === 'TCP') return 'tcp';
  if (p === 'UDP') return 'udp';
  return undefined;
}

/** The access control of an ELB listener from its ip group. */
export function accessControlOf(
  ipgroup: { enable_ipgroup?: boolean; type?: string } | null | undefined,
  cidrs: readonly string[],
): AccessControl {
  if (!ipgroup || ipgroup.enable_ipgroup === false || cidrs.length === 0) return 'all';
  const list = cidrs.map((c) => (c.includes('/') ? c : `${c}/32`));
  return ipgroup.type === 'black' ? { deny: list } : { allow: list };
}
