import { type Command, dataDirOf, EXIT_USAGE, parseFlags, printJson, UsageError } from '../io.ts';
import { openLocalStore } from '../local-store.ts';
import { printPlanErrors, validatePlanFile } from '../plan-file.ts';
import { executionName, runWorkflowCommand } from '../run-workflow.ts';

const usage = `usage: natflow provision PLAN_FILE [--name NAME] [--on-failure rollback|keep] [--no-wait] [--json]
                        [--data-dir DIR] [--endpoint URL]

Validates the plan (an invalid plan exits 2 with the validate document and starts nothing), starts the
provision workflow and follows it state by state. Prints the execution document
{executionArn, name, status, error?, cause?, output?}; exit 0 on SUCCEEDED, 1 otherwise.
Re-running the same plan converges on the same resources.
--on-failure keep (the plan's onFailure: keep) leaves what a failed run created, so that
natflow executions redrive ID continues it, or natflow executions rollback ID removes it; the default,
rollback, removes it at once.`;

const command: Command = {
  summary: 'provision a plan through the provision workflow',
  usage,
  async run({ argv, io, env }) {
    const { values, positionals } = parseFlags(argv, {
      name: { type: 'string' },
      'no-wait': { type: 'boolean', default: false },
      'on-failure': { type: 'string' },
    });
    const onFailure = values['on-failure'];
    if (onFailure !== undefined && onFailure !== 'rollback' && onFailure !== 'keep')
      throw new UsageError(`--on-failure must be rollback or keep (got ${onFailure})`);
    const [file, ...extra] = positionals;
    if (!file || extra.length > 0) throw new UsageError(`expected one PLAN_FILE\n${usage}`);
    const dataDir = dataDirOf(values['data-dir'], env);

    const store = openLocalStore(dataDir);
    const validation = await validatePlanFile(store, file).finally(() => store.close());
    if (!validation.valid || !validation.plan) {
      if (values.json) printJson(io, { valid: false, errors: validation.errors });
      else {
        printPlanErrors(io, file, validation.errors);
      }
      return EXIT_USAGE;
    }
    return runWorkflowCommand(
      values,
      { io, env },
      {
        workflow: 'provision',
        input:
          onFailure === undefined
            ? validation.document
            : { ...(validation.document as Record<string, unknown>), onFailure },
        name: values.name ?? executionName(validation.plan.name),
      },
    );
  },
};

export default command;
