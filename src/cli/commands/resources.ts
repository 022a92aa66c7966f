import { RESOURCE_TYPES, type Resource, type ResourceType } from '../../cloud/resources.ts';
import { type Command, dataDirOf, EXIT_OK, type Output, parseFlags, printJson, UsageError } from '../io.ts';

const usage = `usage: natflow resources [ID_OR_NAME] [--type TYPE] [--plan NAME] [--json] [--data-dir DIR]

Lists the virtual cloud's resources in creation order: {resources:[{id, type, name, plan, status, …}]}.
A real cloud's resource natflow recorded before the cloud confirmed it shows PENDING, with no externalId.
--type keeps one type (${RESOURCE_TYPES.join(', ')}); --plan keeps only what that plan created.
With ID_OR_NAME, shows that one resource (a name matching several is an error listing their ids).`;

const command: Command = {
  usage,
  async run({ argv, io, env }) {
    const { values, positionals } = parseFlags(argv, { type: { type: 'string' } });
    if (positionals.length > 1) throw new UsageError(`expected at most one ID_OR_NAME\n${usage}`);
    const type = values.type;
    if (type !== undefined && !(RESOURCE_TYPES as readonly string[]).includes(type)) {
      throw new UsageError(`--type ${type} is not one of ${RESOURCE_TYPES.join(', ')}`);
    }
    const [{ resolveResource }, { openLocalReader }, { shownResource, shownResources }] = await Promise.all([
      import('../../cloud/resolve.ts'),
      import('../local-store.ts'),
      import('../../cloud/intent.ts'),
    ]);
    const store = openLocalReader(dataDirOf(values['data-dir'], env));
    try {
      const [one] = positionals;
      if (one !== undefined) {
        // An intent the cloud never confirmed is PENDING with no externalId (docs/real-cloud.md#failure).
        const resource = shownResource(
          await resolveResource(
            store,
            type === undefined ? RESOURCE_TYPES : (type as ResourceType),
            one,
            values.plan,
          ),
        );
        if (values.json) printJson(io, resource);
        else printTable(io, [resource]);
        return EXIT_OK;
      }
      const resources = shownResources(
        await store.list({
          ...(type === undefined ? {} : { type: type as ResourceType }),
          ...(values.plan === undefined ? {} : { plan: values.plan }),
        }),
      );
      if (values.json) printJson(io, { resources });
      else if (resources.length === 0) io.out('no resources');
      else printTable(io, resources);
      return EXIT_OK;
    } finally {
      await store.close();
    }
  },
};

/** The one-line detail of a resource: its block, its address, or what a rule forwards where. */
export function detailOf(resource: Resource): string {
  switch (resource.type) {
    case 'vpc':
    case 'subnet':
      return resource.cidr;
    case 'server':
      return `${resource.ip}${resource.apps.length ? ` ${resource.apps.map((a) => `${a.protocol}/${a.port}`).join(',')}` : ''}`;
    case 'security-group':
      return resource.inbound
        .map(
          (r) =>
            `${r.protocol}/${r.fromPort === r.toPort ? r.fromPort : `${r.fromPort}-${r.toPort}`} from ${r.source}`,
        )
        .join('; ');
    case 'backend-group':
      return `${resource.protocol} ${resource.members.length} member${resource.members.length === 1 ? '' : 's'}`;
    case 'load-balancer':
      return `${resource.ip} (backend ${resource.backendIp})`;
    case 'listener':
      return `${resource.protocol}:${resource.port}`;
    case 'transit-ip':
      return resource.ip;
    case 'private-nat-gateway':
      return `${resource.spec} downlink ${resource.downlinkIp}`;
    case 'dnat-rule':
      return resource.protocol === 'any'
        ? `${resource.transitIp} all ports → ${resource.target.ip}`
        : `${resource.transitIp}:${resource.transitPort}/${resource.protocol} → ${resource.target.ip}:${resource.internalPort}`;
    case 'snat-rule':
      return `${resource.cidr} via ${resource.transitIpId}`;
  }
}

function printTable(io: Output, resources: readonly Resource[]): void {
  const rows = resources.map((r) => [r.id, r.type, r.name, r.plan ?? '-', r.status, detailOf(r)]);
  const header = ['ID', 'TYPE', 'NAME', 'PLAN', 'STATUS', 'DETAIL'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  io.out([line(header), ...rows.map(line)].join('\n'));
}

export default command;
