/**
 * `natflow freeze` and `natflow unfreeze`: one command shape, two lifecycle actions of the providers that
 * can freeze (the registry's `freeze` capability: the virtual cloud's control plane).
 */
import { openCloud } from '../providers/registry.ts';
import { cloudOf, commandCloud, refuseWithout } from './cloud.ts';
import { type Command, dataDirOf, EXIT_OK, parseFlags, printJson, UsageError } from './io.ts';

export function freezeCommand(action: 'freeze' | 'unfreeze', texts: { description: string }): Command {
  const usage = `usage: natflow ${action} ID [--plan NAME] [--json] [--data-dir DIR]

${texts.description}
ID is an id or a name (resolved within --plan when given). Prints the resource.`;
  return {
    usage,
    async run({ argv, io, env }) {
      const { values, positionals } = parseFlags(argv, {});
      const [ref, ...extra] = positionals;
      if (!ref || extra.length > 0) throw new UsageError(`expected one ID\n${usage}`);
      refuseWithout(
        commandCloud(values, env),
        'freeze',
        `natflow ${action}`,
        "the frozen state is the virtual cloud's model of the product's; natflow does not freeze real gateways",
      );
      const [{ resolveResource }, { openLocalStore }] = await Promise.all([
        import('../cloud/resolve.ts'),
        import('./local-store.ts'),
      ]);
      const store = openLocalStore(dataDirOf(values['data-dir'], env));
      try {
        const target = await resolveResource(
          store,
          ['private-nat-gateway', 'dnat-rule', 'snat-rule'],
          ref,
          values.plan,
        );
        const holder = cloudOf(target);
        refuseWithout(
          holder,
          'freeze',
          `natflow ${action} ${target.id}`,
          `it is a resource of ${holder}, where freezing is the provider's own billing state`,
        );
        const cloud = await openCloud(holder, { store, env });
        const change = action === 'freeze' ? cloud.freeze : cloud.unfreeze;
        if (!change) throw new Error(`the ${holder} provider has no ${action}`);
        const resource = await change.call(cloud, target.id);
        if (values.json) printJson(io, resource);
        else
          io.out(
            `${action === 'freeze' ? 'frozen' : 'unfrozen'} ${resource.type} ${resource.name} (${resource.id}): ${resource.status}`,
          );
        return EXIT_OK;
      } finally {
        await store.close();
      }
    },
  };
}
