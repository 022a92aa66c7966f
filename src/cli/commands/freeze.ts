import { ControlPlane } from '../../cloud/control-plane.ts';
import { resolveResource } from '../../cloud/resolve.ts';
import { type Command, dataDirOf, EXIT_OK, parseFlags, printJson, UsageError } from '../io.ts';
import { openLocalStore } from '../local-store.ts';

const usage = `usage: natflow freeze ID [--plan NAME] [--json] [--data-dir DIR]

Freezes a private NAT gateway or a DNAT/SNAT rule, as the product's frozen state: a frozen gateway
takes no new rules (GATEWAY_NOT_ACTIVE) and its rules evaluate as RULE_INACTIVE. Freezing a frozen one
changes nothing.
ID is an id or a name (resolved within --plan when given). Prints the resource.`;

const command: Command = {
  summary: 'freeze a private NAT gateway or a rule (its rules then evaluate as RULE_INACTIVE)',
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
      const resource = await new ControlPlane({ store }).freeze(target.id);
      if (values.json) printJson(io, resource);
      else io.out(`frozen ${resource.type} ${resource.name} (${resource.id}): ${resource.status}`);
      return EXIT_OK;
    } finally {
      await store.close();
    }
  },
};

export default command;
