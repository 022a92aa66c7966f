import { statSync } from 'node:fs';
import { type Command, dataDirOf, EXIT_OK, parseFlags, UsageError } from '../io.ts';

const usage = `usage: natflow teardown PLAN_FILE|PLAN_NAME [--no-wait] [--json] [--data-dir DIR] [--endpoint URL]

Deletes what the plan created, in reverse dependency order, through the teardown workflow. The plan is
named by its file (an argument that is an existing file is a plan file: its name: is the plan) or by its
name. Refuses (DEPENDENCY_VIOLATION) while another plan's resources depend on them. Exit 0 on
SUCCEEDED, 1 otherwise; 2 for a plan file that does not exist or is no plan, or a name that is no plan's.
A plan with nothing recorded (unknown, or already torn down) starts nothing: 'nothing to tear down',
exit 0 (--json: {plan, nothing: true}).`;

/** A plan's name as docs/plan-format.md allows it. */
const PLAN_NAME = /^[a-z0-9-]{1,64}$/;

const command: Command = {
  usage,
  async run({ argv, io, env }) {
    const { values, positionals } = parseFlags(argv, { 'no-wait': { type: 'boolean', default: false } });
    const [target, ...extra] = positionals;
    if (!target || extra.length > 0) throw new UsageError(`expected one PLAN_FILE or PLAN_NAME\n${usage}`);
    const plan = await planOf(target);
    // Nothing recorded to the plan (left-behind resources count): nothing to start (docs/cli.md).
    const [{ openLocalReader }, { nothingRecorded }] = await Promise.all([
      import('../local-store.ts'),
      import('../../workflow/teardown.ts'),
    ]);
    const store = openLocalReader(dataDirOf(values['data-dir'], env));
    if (await nothingRecorded(store, plan).finally(() => store.close())) {
      const { printNothingToTearDown } = await import('../nothing.ts');
      printNothingToTearDown(io, plan, values.json);
      return EXIT_OK;
    }
    const { runWorkflowCommand } = await import('../run-workflow.ts');
    return runWorkflowCommand(
      values,
      { io, env },
      { workflow: 'teardown', input: { plan }, dataPlane: false },
    );
  },
};

/**
 * The plan a teardown argument names: an existing file is a plan file (its `name:`); anything else is
 * a plan's name — or, when it looks like a path (a `/`, a `.yaml`/`.yml`/`.json` ending), a plan file
 * that does not exist.
 */
export async function planOf(target: string): Promise<string> {
  if (isFile(target)) {
    const { planDocumentOf } = await import('../plan-file.ts');
    const { PlanNameSchema } = await import('../../plan/plan.ts');
    const name = (planDocumentOf(target) as { name?: unknown }).name;
    const parsed = PlanNameSchema.safeParse(name);
    if (!parsed.success)
      throw new UsageError(
        `${target} names no plan: its name: is ${name === undefined ? 'missing' : JSON.stringify(name)} (a plan's name is 1–64 characters of a-z, 0-9 and -)`,
      );
    return parsed.data;
  }
  if (/[/\\]|\.(ya?ml|json)$/i.test(target)) {
    const { FileNotFoundError } = await import('../plan-file.ts');
    throw new FileNotFoundError(`plan file ${target} does not exist`, { path: '' });
  }
  if (!PLAN_NAME.test(target))
    throw new UsageError(
      `'${target}' is neither a plan file nor a plan's name (1–64 characters of a-z, 0-9 and -)`,
    );
  return target;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export default command;
