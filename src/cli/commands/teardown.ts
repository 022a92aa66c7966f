import { nothingRecorded } from '../../workflow/teardown.ts';
import { type Command, dataDirOf, EXIT_OK, parseFlags, UsageError } from '../io.ts';
import { openLocalReader } from '../local-store.ts';
import { printNothingToTearDown } from '../nothing.ts';
import { executionName, runWorkflowCommand } from '../run-workflow.ts';

const usage = `usage: natflow teardown PLAN_NAME [--no-wait] [--json] [--data-dir DIR] [--endpoint URL]

Deletes what the plan created, in reverse dependency order, through the teardown workflow. Refuses
(DEPENDENCY_VIOLATION) while another plan's resources depend on them. Exit 0 on SUCCEEDED, 1 otherwise.
A plan with nothing recorded (unknown, or already torn down) starts nothing: 'nothing to tear down',
exit 0 (--json: {plan, nothing: true}).`;

const command: Command = {
  summary: "delete a plan's resources through the teardown workflow",
  usage,
  async run({ argv, io, env }) {
    const { values, positionals } = parseFlags(argv, { 'no-wait': { type: 'boolean', default: false } });
    const [plan, ...extra] = positionals;
    if (!plan || extra.length > 0) throw new UsageError(`expected one PLAN_NAME\n${usage}`);
    // Nothing recorded to the plan (left-behind resources count): nothing to start.
    const store = openLocalReader(dataDirOf(values['data-dir'], env));
    const nothing = await nothingRecorded(store, plan).finally(() => store.close());
    if (nothing) {
      printNothingToTearDown(io, plan, values.json);
      return EXIT_OK;
    }
    return runWorkflowCommand(
      values,
      { io, env },
      { workflow: 'teardown', input: { plan }, name: executionName(`${plan}-teardown`), dataPlane: false },
    );
  },
};

export default command;
