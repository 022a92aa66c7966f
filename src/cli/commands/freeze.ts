import { freezeCommand } from '../freeze-command.ts';

export default freezeCommand('freeze', {
  summary: 'freeze a private NAT gateway or a rule (its rules then evaluate as RULE_INACTIVE)',
  description: `Freezes a private NAT gateway or a DNAT/SNAT rule, as the product's frozen state: a frozen gateway
takes no new rules (GATEWAY_NOT_ACTIVE) and its rules evaluate as RULE_INACTIVE. Freezing a frozen one
changes nothing.`,
});
