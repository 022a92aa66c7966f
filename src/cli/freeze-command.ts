/**
 * `natflow freeze` and `natflow unfreeze`: one command shape, two lifecycle actions of the control plane.
 */
import { ControlPlane } from '../cloud/control-plane.ts';
import { resolveResource } from '../cloud/resolve.ts';
import { cloudOf, commandCloud, refuseOnRealCloud } from './cloud.ts';
import { type Command, dataDirOf, EXIT_OK, parseFlags, printJson, UsageError } from './io.ts';
import { openLocalStore } from './local-store.ts';

export function freezeCommand(
  action: 'freeze' | 'unfreeze',
  texts: { summary: string; description: string },
): Command {
  const usage = `usage: natflow ${action} ID [--plan NAME] [--json] [--data-dir DIR]

${texts.description}
ID is an id or a name (resolved within --plan when given). Prints the resource.`;
  return {
    summary: texts.summary,
    usage,
    async run({ argv, io, env }) {
      const { values, positionals } = parseFlags(argv, {});
      const [ref, ...extra] = positionals;
      if (!ref || extra.length > 0) throw new UsageError(`expected one ID\n${usage}`);
      refuseOnRealCloud(
        commandCloud(values, env),
        `natflow ${action}`,
        "the frozen state is the virtual cloud's model of the product's; natflow does not freeze real gateways",
      );
      const store = openLocalStore(dataDirOf(values['data-dir'], env));
      try {
        const target = await resolveResource(
          store,
          ['private-nat-gateway', 'dnat-rule', 'snat-rule'],
          ref,
          values.plan,
        );
        refuseOnRealCloud(
          cloudOf(target),
          `natflow ${action} ${target.id}`,
          `it is a resource of ${cloudOf(target)}, where freezing is the provider's own billing state`,
        );
        const cloud = new ControlPlane({ store });
        const resource =
          action === 'freeze' ? await cloud.freeze(target.id) : await cloud.unfreeze(target.id);
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
