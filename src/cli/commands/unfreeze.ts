import { freezeCommand } from '../freeze-command.ts';

export default freezeCommand('unfreeze', {
  description: `Unfreezes a frozen private NAT gateway or DNAT/SNAT rule (it becomes ACTIVE again). Anything not
frozen is left as it is.`,
});
