import { type Command, dataDirOf, parseFlags, UsageError } from '../io.ts';
import { executionName, runWorkflow } from '../run-workflow.ts';
import { openSession } from '../session.ts';

const usage = `usage: natflow verify [PLAN_NAME] [--no-wait] [--json] [--data-dir DIR] [--endpoint URL]

Runs the verify workflow: probes every verify entry of the plan (of every provisioned plan when none is
named), emits ConnectivityVerified or ConnectivityLost for each, and ends FAILED with
VERIFICATION_FAILED when any entry does not hold. Exit 0 on SUCCEEDED, 1 otherwise.`;

const command: Command = {
  summary: "probe a plan's verify entries (or every plan's) through the verify workflow",
  usage,
  async run({ argv, io, env }) {
    const { values, positionals } = parseFlags(argv, { 'no-wait': { type: 'boolean', default: false } });
    const [plan, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(usage);
    const session = await openSession({
      dataDir: dataDirOf(values['data-dir'], env),
      endpoint: values.endpoint,
    });
    try {
      const { exitCode } = await runWorkflow(session, {
        workflow: 'verify',
        input: plan ? { plan } : {},
        name: executionName(`${plan ?? 'all-plans'}-verify`),
        json: values.json,
        wait: !values['no-wait'],
        io,
      });
      return exitCode;
    } finally {
      await session.close();
    }
  },
};

export default command;
