import { cloudsThatCan, openCloud, providerOf } from '../../providers/registry.ts';
import { commandCloud, refuseWithout } from '../cloud.ts';
import { type Command, dataDirOf, EXIT_OK, parseFlags, printJson, UsageError } from '../io.ts';

/** The clouds whose registry entry says they can import an account. */
const IMPORTERS = cloudsThatCan('importAccount');

const usage = `usage: natflow import --cloud ${IMPORTERS.join('|')} [--vpc ID]... [--json] [--data-dir DIR]

Reads what a real cloud account already has — VPCs, subnets, security groups, servers, load balancers
with their listeners, pools and members, transit IPs, private NAT gateways and their DNAT and SNAT rules —
into natflow's model, read-only (marked imported, with the cloud's ids as externalId). Nothing on the
cloud changes. A re-import replaces what an earlier import read (in the given VPCs, or everywhere) and
never touches what natflow created. Afterwards 'validate', 'probe --mode analyze' and 'plan' work on the
real configuration, and plans may reference it with 'existing: <the cloud's id>'.
  --vpc ID   only this VPC (its id in the cloud); repeat for several. Default: every VPC of the account.
Credentials and region come from the provider's settings:
${IMPORTERS.map((name) => `  ${name}: ${providerOf(name).settings}`).join('\n')}
Prints {cloud, imported:{type:n}, removed, kept, skipped}.`;

const command: Command = {
  usage,
  async run({ argv, io, env }) {
    const { values, positionals } = parseFlags(argv, { vpc: { type: 'string', multiple: true } });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}\n${usage}`);
    const cloudName = commandCloud(values, env);
    refuseWithout(
      cloudName,
      'importAccount',
      'import',
      `it reads a real cloud's account into natflow's model; give --cloud ${IMPORTERS.join(' or ')}\n${usage}`,
    );
    const { openLocalStore } = await import('../local-store.ts');
    const store = openLocalStore(dataDirOf(values['data-dir'], env));
    try {
      const cloud = await openCloud(cloudName, { store, env });
      if (!cloud.importAccount) throw new Error(`the ${cloudName} provider has no importAccount`);
      const report = await cloud.importAccount({ vpcs: values.vpc ?? [] });
      if (values.json) printJson(io, { cloud: cloudName, ...report });
      else {
        const counts = Object.entries(report.imported).map(([type, n]) => `${type} ${n}`);
        io.out(`imported from ${cloudName}: ${counts.length > 0 ? counts.join(', ') : 'nothing'}`);
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
