import { type Command, parseFlags, UsageError } from '../io.ts';

const usage = `usage: natflow verify [PLAN_NAME] [--no-wait] [--json] [--data-dir DIR] [--endpoint URL]

Runs the verify workflow: probes every verify entry of the plan (of every provisioned plan when none is
named), emits ConnectivityVerified or ConnectivityLost for each, and ends FAILED with
VERIFICATION_FAILED when any entry does not hold. Exit 0 on SUCCEEDED, 1 otherwise.`;

const command: Command = {
  usage,
  async run({ argv, io, env }) {
    const { values, positionals } = parseFlags(argv, { 'no-wait': { type: 'boolean', default: false } });
    const [plan, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(usage);
    const { runWorkflowCommand } = await import('../run-workflow.ts');
    return runWorkflowCommand(values, { io, env }, { workflow: 'verify', input: plan ? { plan } : {} });
  },
};

export default command;
