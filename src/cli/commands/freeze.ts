import { freezeCommand } from '../freeze-command.ts';

export default freezeCommand('freeze', {
  description: `Freezes a private NAT gateway or a DNAT/SNAT rule, as the product's frozen state: a frozen gateway
takes no new rules (GATEWAY_NOT_ACTIVE) and its rules evaluate as RULE_INACTIVE. Freezing a frozen one
changes nothing.`,
});
