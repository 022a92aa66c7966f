import { ControlPlane } from '../../cloud/control-plane.ts';
import { resolveResource } from '../../cloud/resolve.ts';
import { type Command, dataDirOf, EXIT_OK, parseFlags, printJson, UsageError } from '../io.ts';
import { openLocalStore } from '../local-store.ts';

const usage = `usage: natflow unfreeze ID [--plan NAME] [--json] [--data-dir DIR]

Unfreezes a frozen private NAT gateway or DNAT/SNAT rule (it becomes ACTIVE again). Anything not
frozen is left as it is.
ID is an id or a name (resolved within --plan when given). Prints the resource.`;

const command: Command = {
  summary: 'unfreeze a frozen private NAT gateway or rule',
  usage,
  async run({ argv, io, env }) {
    const { values, positionals } = parseFlags(argv, {});
    const [ref, ...extra] = positionals;
    if (!ref || extra.length > 0) throw new UsageError(`expected one ID\n${usage}`);
    const store = openLocalStore(dataDirOf(values['data-dir'], env));
    try {
      const target = await resolveResource(
        store,
        ['private-nat-gateway', 'dnat-rule', 'snat-rule'],
        ref,
        values.plan,
      );
      const resource = await new ControlPlane({ store }).unfreeze(target.id);
      if (values.json) printJson(io, resource);
      else io.out(`unfrozen ${resource.type} ${resource.name} (${resource.id}): ${resource.status}`);
      return EXIT_OK;
    } finally {
      await store.close();
    }
  },
};

export default command;
