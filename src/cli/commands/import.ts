import { importAccount } from '../../providers/huaweicloud/discovery.ts';
import type { HuaweiCloud } from '../../providers/huaweicloud/provider.ts';
import { openCloud } from '../../providers/index.ts';
import { commandCloud } from '../cloud.ts';
import { type Command, dataDirOf, EXIT_OK, parseFlags, printJson, UsageError } from '../io.ts';
import { openLocalStore } from '../local-store.ts';

const usage = `usage: natflow import --cloud huaweicloud [--vpc ID]... [--json] [--data-dir DIR]

Reads what a Huawei Cloud project already has — VPCs, subnets, security groups, servers, load balancers
with their listeners, pools and members, transit IPs, private NAT gateways and their DNAT and SNAT rules —
into natflow's model, read-only (marked imported, with their Huawei ids as externalId). Nothing on the
cloud changes. A re-import replaces what an earlier import read (in the given VPCs, or everywhere) and
never touches what natflow created. Afterwards 'validate', 'probe --mode analyze' and 'plan' work on the
real configuration, and plans may reference it with 'existing: <Huawei id>'.
  --vpc ID   only this VPC (its Huawei id); repeat for several. Default: every VPC of the project.
Credentials and region: HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK, HUAWEICLOUD_SDK_PROJECT_ID,
HUAWEICLOUD_REGION (or HUAWEICLOUD_ENDPOINT). Prints {imported:{type:n}, removed, kept, skipped}.`;

const command: Command = {
  summary: "read a real cloud's resources into natflow's model (read-only)",
  usage,
  async run({ argv, io, env }) {
    const { values, positionals } = parseFlags(argv, { vpc: { type: 'string', multiple: true } });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}\n${usage}`);
    const cloudName = commandCloud(values, env);
    if (cloudName !== 'huaweicloud') {
      throw new UsageError(
        `import reads a real cloud: give --cloud huaweicloud (the virtual cloud is natflow's own store)\n${usage}`,
      );
    }
    const store = openLocalStore(dataDirOf(values['data-dir'], env));
    try {
      const cloud = (await openCloud('huaweicloud', { store, env })) as HuaweiCloud;
      const report = await importAccount(cloud, { vpcs: values.vpc ?? [] });
      if (values.json) printJson(io, { cloud: 'huaweicloud', ...report });
      else {
        const counts = Object.entries(report.imported).map(([type, n]) => `${type} ${n}`);
        io.out(`imported from huaweicloud: ${counts.length > 0 ? counts.join(', ') : 'nothing'}`);
        if (report.removed.length > 0) io.out(`  dropped ${report.removed.length} no longer on the cloud`);
        if (report.kept.length > 0)
          io.out(
            `  kept ${report.kept.length} gone from the cloud but still referenced by natflow's resources`,
          );
        for (const s of report.skipped) io.out(`  skipped ${s.type} ${s.externalId}: ${s.reason}`);
      }
      return EXIT_OK;
    } finally {
      await store.close();
    }
  },
};

export default command;
