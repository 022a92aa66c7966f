/**
 * ECS: create (`/v1` and `/v1.1` cloudservers, answering `job_id` and `serverIds`), show, list
 * (`/v1/{project_id}/cloudservers/detail`, `offset` = page number and `limit`), batch delete
 * (`/v1/{project_id}/cloudservers/delete`) and jobs (`/v1/{project_id}/jobs/{job_id}`). API reference
 * "Creating an ECS", "Querying Details About ECSs", "Deleting ECSs", "Querying Task Execution Status";
 * SDK models `PrePaidServer`, `ServerDetail`, `ShowJobResponse`. Errors: `{"error": {"code", "message"}}`.
 *
 * `user_data` is base64; every `python3 -m http.server [N]` in its script is an HTTP app on N (8000
 * when N is absent) in the live data plane. Without `security_groups` a server gets natflow's default
 * group (its apps' ports open from its VPC), deleted with it.
 */
import { randomUUID } from 'node:crypto';
import type { App, Server } from '../cloud/resources.ts';
import { type ApiRequest, derivedId, type HuaweiContext, huaweiIdOf } from './context.ts';
import { badRequest, DEPENDENCY_CODES, HuaweiApiError, notFound } from './errors.ts';
import { Fields } from './fields.ts';
import type { Route } from './routes.ts';
import { findGroup, inboundOf, rulesOf } from './security-groups.ts';

const SERVICE = 'ecs';

/** The HTTP apps a `user_data` script starts (`python3 -m http.server [N]`). */
export function appsOfUserData(script: string): App[] {
  const apps: App[] = [];
  const pattern = /\bpython(?:3(?:\.\d+)?)?\s+-m\s+http\.server\b([^\n;&|]*)/g;
  for (const match of script.matchAll(pattern)) {
    const args = (match[1] ?? '').trim().split(/\s+/).filter(Boolean);
    let port = 8000;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i] as string;
      if (
        arg === '-b' ||
        arg === '--bind' ||
        arg === '-d' ||
        arg === '--directory' ||
        arg === '-p' ||
        arg === '--protocol'
      ) {
        i++;
        continue;
      }
      if (/^\d+$/.test(arg)) {
        port = Number(arg);
        break;
      }
    }
    if (port >= 1 && port <= 65535 && !apps.some((a) => a.port === port))
      apps.push({ protocol: 'http', port });
  }
  return apps;
}

export function portIdOf(server: Server): string {
  return derivedId(server.id, 'port');
}

function macOf(server: Server): string {
  const hex = derivedId(server.id, 'mac').replace(/-/g, '');
  return `fa:16:3e:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`;
}

async function serverView(ctx: HuaweiContext, server: Server): Promise<Record<string, unknown>> {
  const attrs = ctx.state.attrs.get(server.id) ?? {};
  const vpc = await ctx.store.get(server.vpcId);
  const vpcUuid = vpc ? huaweiIdOf(vpc) : '';
  const groups = [];
  for (const id of server.securityGroupIds) {
    const group = await ctx.store.get(id);
    if (group) groups.push({ id: huaweiIdOf(group), name: group.name });
  }
  const settled = ctx.settled('server', server.createdAt);
  const deleting = ctx.deleting(server.id);
  const flavor = (attrs.flavorRef as string | undefined) ?? 's6.small.1';
  return {
    id: huaweiIdOf(server),
    name: server.name,
    description: attrs.description ?? '',
    status: settled ? 'ACTIVE' : 'BUILD',
    progress: settled ? 100 : 0,
    addresses: {
      [vpcUuid]: [
        {
          version: '4',
          addr: server.ip,
          'OS-EXT-IPS-MAC:mac_addr': macOf(server),
          'OS-EXT-IPS:type': 'fixed',
          'OS-EXT-IPS:port_id': portIdOf(server),
          primary: true,
        },
      ],
    },
    flavor: { id: flavor, name: flavor, disk: '0', vcpus: '1', ram: '1024' },
    image: { id: (attrs.imageRef as string | undefined) ?? '' },
    metadata: { vpc_id: vpcUuid, ...((attrs.metadata as Record<string, string> | undefined) ?? {}) },
    security_groups: groups,
    key_name: (attrs.key_name as string | undefined) ?? '',
    tenant_id: ctx.projectId,
    user_id: '',
    hostId: '',
    created: `${server.createdAt.slice(0, 19)}Z`,
    updated: `${server.createdAt.slice(0, 19)}Z`,
    'OS-EXT-AZ:availability_zone': (attrs.availability_zone as string | undefined) ?? `${ctx.region}a`,
    'OS-EXT-STS:vm_state': settled ? 'active' : 'building',
    'OS-EXT-STS:task_state': deleting ? 'deleting' : settled ? '' : 'spawning',
    'OS-EXT-STS:power_state': settled ? 1 : 0,
    'OS-EXT-SRV-ATTR:user_data': (attrs.user_data as string | undefined) ?? '',
    'OS-EXT-SRV-ATTR:hostname': server.name,
    'os-extended-volumes:volumes_attached': [],
    'OS-SRV-USG:launched_at': settled ? server.createdAt.slice(0, 23) : '',
    'OS-SRV-USG:terminated_at': '',
    accessIPv4: '',
    accessIPv6: '',
    tags: (attrs.server_tags as string[] | undefined) ?? [],
    sys_tags: [],
    enterprise_project_id: (attrs.enterprise_project_id as string | undefined) ?? '0',
    locked: false,
    config_drive: '',
    os: { type: 'Linux' },
  };
}

function ecsError(
  status: number,
  code: string,
  message: string,
  natflowCode = 'VALIDATION_FAILED',
): HuaweiApiError {
  return new HuaweiApiError(status, code, message, natflowCode);
}

async function createServers(ctx: HuaweiContext, req: ApiRequest) {
  const body = Fields.body(SERVICE, req.body, 'server');
  const name = body.string('name', true, 128);
  if (name === '' || /[<>]/.test(name))
    throw badRequest(SERVICE, 'server.name must be 1–128 characters without < or >', 'Ecs.0005');
  const imageRef = body.string('imageRef', true, 64);
  const flavorRef = body.string('flavorRef', true, 64);
  const vpcUuid = body.string('vpcid', true, 36);
  const nics = body.objects('nics', true, 12) as Fields[];
  if (nics.length !== 1) {
    throw badRequest(
      SERVICE,
      `server.nics has ${nics.length} entries; natflow's servers have exactly one NIC`,
      'Ecs.0005',
    );
  }
  const nic = nics[0] as Fields;
  const subnetUuid = nic.string('subnet_id', true, 36);
  const ipAddress = nic.string('ip_address', false, 64);
  const groupRefs = body.objects('security_groups', false, 10) ?? [];
  const groupUuids = groupRefs.map((g) => g.string('id', true, 36));
  const userData = body.string('user_data', false, 65536);
  let script = '';
  if (userData !== undefined) {
    if (!/^[A-Za-z0-9+/\r\n]*={0,2}[\r\n]*$/.test(userData)) {
      throw badRequest(SERVICE, 'server.user_data must be base64-encoded', 'Ecs.0005');
    }
    script = Buffer.from(userData, 'base64').toString('utf8');
  }
  const count = body.integer('count', false, 1, 10) ?? 1;
  const az = body.string('availability_zone', false, 64);
  const metadata = body.object('metadata');
  const keyName = body.string('key_name', false, 64);
  body.object('root_volume');
  body.array('data_volumes', false, 24);
  body.object('extendparam');
  const serverTags = body.objects('server_tags', false, 10);
  const description = body.description();
  const enterpriseProjectId = body.object('extendparam')?.string('enterprise_project_id', false, 36);

  const vpc = await ctx.requireByUuid(vpcUuid, 'vpc', SERVICE, 'VPC');
  const subnet = await ctx.findSubnet(subnetUuid);
  if (!subnet)
    throw ecsError(400, 'Ecs.0005', `server.nics[0].subnet_id ${subnetUuid} is no subnet`, 'NOT_FOUND');
  if (subnet.vpcId !== vpc.id) {
    throw ecsError(
      400,
      'Ecs.0005',
      `server.nics[0].subnet_id ${subnetUuid} is not in VPC ${vpcUuid} (server.vpcid)`,
    );
  }
  ctx.requireReady(SERVICE, vpc, 'server.vpcid: VPC');
  ctx.requireReady(SERVICE, subnet, 'server.nics[0].subnet_id: subnet');
  if (count > 1 && ipAddress !== undefined) {
    throw ecsError(400, 'Ecs.0005', 'server.nics[0].ip_address cannot be given with count > 1');
  }
  const securityGroupIds: string[] = [];
  for (const [i, uuid] of groupUuids.entries()) {
    const group = await findGroup(ctx, uuid);
    if (!group)
      throw ecsError(
        400,
        'Ecs.0005',
        `server.security_groups[${i}].id ${uuid} is no security group`,
        'NOT_FOUND',
      );
    if (group.vpcUuid !== null && group.vpcUuid !== huaweiIdOf(vpc)) {
      throw ecsError(
        400,
        'Ecs.0005',
        `server.security_groups[${i}].id ${uuid} is in another VPC than server.vpcid`,
      );
    }
    if (group.vpcUuid === null) {
      // Realise a security group created without a VPC, in this server's VPC.
      await ctx.lock(`sg:${group.id}`, async () => {
        if (await ctx.store.get(group.id)) return;
        const pending = ctx.state.pendingGroups.get(group.id);
        await ctx.withIds({ 'security-group': group.id }, () =>
          ctx.call(SERVICE, () =>
            ctx.cloud.createSecurityGroup({
              name: pending?.name ?? group.name,
              vpcId: vpc.id,
              inbound: inboundOf(rulesOf(ctx, group)),
            }),
          ),
        );
        ctx.state.pendingGroups.delete(group.id);
      });
    }
    securityGroupIds.push(group.id);
  }
  const apps = appsOfUserData(script);
  const servers: Server[] = [];
  for (let i = 0; i < count; i++) {
    const serverName = count > 1 ? `${name}-${String(i + 1).padStart(4, '0')}` : name;
    const server = await ctx.call(SERVICE, () =>
      ctx.cloud.createServer({
        name: serverName,
        subnetId: subnet.id,
        ...(ipAddress === undefined ? {} : { ip: ipAddress }),
        apps,
        ...(securityGroupIds.length > 0 ? { securityGroupIds } : {}),
      }),
    );
    servers.push(server);
    const attrs = ctx.state.attrsOf(server.id);
    attrs.imageRef = imageRef;
    attrs.flavorRef = flavorRef;
    if (userData !== undefined) attrs.user_data = userData;
    if (az !== undefined) attrs.availability_zone = az;
    if (metadata) attrs.metadata = metadata.value;
    if (keyName !== undefined) attrs.key_name = keyName;
    if (description !== undefined) attrs.description = description;
    if (enterpriseProjectId !== undefined) attrs.enterprise_project_id = enterpriseProjectId;
    if (serverTags)
      attrs.server_tags = serverTags.map(
        (t) => `${t.string('key', true, 36)}=${t.string('value', false, 43) ?? ''}`,
      );
    if (securityGroupIds.length === 0) attrs.ownSecurityGroupId = server.securityGroupIds[0];
  }
  const job = newJob(ctx, 'createServer', servers.map(huaweiIdOf));
  return { status: 200, body: { job_id: job, serverIds: servers.map(huaweiIdOf) } };
}

function newJob(ctx: HuaweiContext, type: 'createServer' | 'deleteServer', serverIds: string[]): string {
  const id = randomUUID().replace(/-/g, '').slice(0, 32);
  const begin = ctx.now();
  ctx.state.jobs.set(id, { id, type, serverIds, begin, due: begin + ctx.settle.server });
  return id;
}

async function showServer(ctx: HuaweiContext, req: ApiRequest) {
  const server = await ctx.findByUuid(req.params.server_id as string, 'server');
  if (!server) throw notFound(SERVICE, `Instance[${req.params.server_id}] could not be found.`);
  return { status: 200, body: { server: await serverView(ctx, server) } };
}

async function listServers(ctx: HuaweiContext, req: ApiRequest) {
  const q = req.query;
  const limitText = q.get('limit');
  const offsetText = q.get('offset');
  if (
    limitText !== null &&
    (!/^\d{1,4}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > 1000)
  ) {
    throw badRequest(SERVICE, 'limit must be an integer 1–1000', 'Ecs.0005');
  }
  if (offsetText !== null && (!/^\d{1,6}$/.test(offsetText) || Number(offsetText) < 1)) {
    throw badRequest(SERVICE, 'offset must be a page number from 1', 'Ecs.0005');
  }
  const limit = limitText === null ? 25 : Number(limitText);
  const offset = offsetText === null ? 1 : Number(offsetText);
  const name = q.get('name');
  const status = q.get('status');
  const ip = q.get('ip');
  const views: Array<Record<string, unknown>> = [];
  for (const server of await ctx.list('server')) {
    const view = await serverView(ctx, server);
    if (name && !String(view.name).includes(name)) continue;
    if (status && view.status !== status) continue;
    if (ip && !server.ip.includes(ip)) continue;
    views.push(view);
  }
  const page = views.slice((offset - 1) * limit, offset * limit);
  return { status: 200, body: { count: views.length, servers: page } };
}

async function deleteServers(ctx: HuaweiContext, req: ApiRequest) {
  if (req.body === undefined)
    throw badRequest(SERVICE, 'the request needs {"servers": [{"id": …}]}', 'Ecs.0005');
  const body = new Fields(SERVICE, 'body', req.body);
  const refs = body.objects('servers', true, 1000) as Fields[];
  if (refs.length === 0) throw badRequest(SERVICE, 'servers must list at least one server', 'Ecs.0005');
  body.boolean('delete_publicip');
  body.boolean('delete_volume');
  const servers: Server[] = [];
  for (const [i, ref] of refs.entries()) {
    const uuid = ref.string('id', true, 36);
    const server = await ctx.findByUuid(uuid, 'server');
    if (!server)
      throw ecsError(404, 'Ecs.0114', `servers[${i}].id: Instance[${uuid}] could not be found.`, 'NOT_FOUND');
    servers.push(server);
  }
  // Refuse before deleting any: a server still referenced (an ELB member, a DNAT target) stays.
  for (const server of servers) {
    const referrers = await ctx.store.referrers(server.id);
    if (referrers.length > 0) {
      throw ecsError(
        409,
        DEPENDENCY_CODES.ecs,
        `server ${server.name} (${huaweiIdOf(server)}) is still referenced by ${referrers.map((r) => `${r.type} ${r.name} (${huaweiIdOf(r)})`).join(', ')}: remove it from its pools and DNAT rules first (natflow: DEPENDENCY_VIOLATION)`,
        'DEPENDENCY_VIOLATION',
      );
    }
  }
  // The job runs NATFLOW_HWC_SETTLE_MS's `server` time: the servers stay listed (task_state `deleting`)
  // until it succeeds.
  for (const server of servers) {
    await ctx.remove('server', server.id, async () => {
      await ctx.call(SERVICE, () => ctx.cloud.delete(server.id), DEPENDENCY_CODES.ecs);
      const own = ctx.state.attrs.get(server.id)?.ownSecurityGroupId as string | undefined;
      if (own && (await ctx.store.referrers(own)).length === 0)
        await ctx.cloud.delete(own).catch(() => undefined);
      ctx.state.attrs.delete(server.id);
    });
  }
  return { status: 200, body: { job_id: newJob(ctx, 'deleteServer', servers.map(huaweiIdOf)) } };
}

async function showJob(ctx: HuaweiContext, req: ApiRequest) {
  const job = ctx.state.jobs.get(req.params.job_id as string);
  if (!job) throw ecsError(404, 'Ecs.0114', `job ${req.params.job_id} could not be found`, 'NOT_FOUND');
  const done = ctx.now() >= job.due;
  const status = done ? 'SUCCESS' : 'RUNNING';
  const begin = `${new Date(job.begin).toISOString().slice(0, 23)}Z`;
  const end = done ? `${new Date(Math.max(job.due, job.begin)).toISOString().slice(0, 23)}Z` : '';
  const subType = job.type === 'createServer' ? 'createSingleServer' : 'deleteSingleServer';
  return {
    status: 200,
    body: {
      status,
      entities: {
        sub_jobs_total: job.serverIds.length,
        sub_jobs: job.serverIds.map((serverId, i) => ({
          status,
          entities: { server_id: serverId },
          job_id: `${job.id.slice(0, 28)}${String(i).padStart(4, '0')}`,
          job_type: subType,
          begin_time: begin,
          end_time: end,
          error_code: null,
          fail_reason: null,
        })),
      },
      job_id: job.id,
      job_type: job.type,
      begin_time: begin,
      end_time: end,
      error_code: null,
      fail_reason: null,
    },
  };
}

export const ecsRoutes: Route[] = [
  {
    method: 'POST',
    path: '/v1/{project_id}/cloudservers',
    service: SERVICE,
    write: true,
    handler: createServers,
  },
  {
    method: 'POST',
    path: '/v1.1/{project_id}/cloudservers',
    service: SERVICE,
    write: true,
    handler: createServers,
  },
  { method: 'GET', path: '/v1/{project_id}/cloudservers/detail', service: SERVICE, handler: listServers },
  { method: 'GET', path: '/v1.1/{project_id}/cloudservers/detail', service: SERVICE, handler: listServers },
  {
    method: 'POST',
    path: '/v1/{project_id}/cloudservers/delete',
    service: SERVICE,
    write: true,
    handler: deleteServers,
  },
  { method: 'GET', path: '/v1/{project_id}/cloudservers/{server_id}', service: SERVICE, handler: showServer },
  { method: 'GET', path: '/v1/{project_id}/jobs/{job_id}', service: SERVICE, handler: showJob },
];
