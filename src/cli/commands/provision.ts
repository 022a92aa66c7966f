import { type CloudName, DEFAULT_CLOUD } from '../../providers/registry.ts';
import { CLOUD_FLAG, CLOUD_LIST, dryRunSourceOf, plannedCloud } from '../cloud.ts';
import {
  type Command,
  dataDirOf,
  EXIT_FAILED,
  EXIT_USAGE,
  parseFlags,
  printJson,
  UsageError,
} from '../io.ts';

const usage = `usage: natflow provision PLAN_FILE ${CLOUD_FLAG} [--name NAME] [--on-failure rollback|keep]
                         [--no-wait] [--json] [--data-dir DIR] [--endpoint URL]
       natflow provision --preview PLAN_FILE [--yes] ${CLOUD_FLAG} [--name NAME]
                         [--on-failure rollback|keep] [--json] [--data-dir DIR] [--endpoint URL]

Validates the plan (an invalid plan exits 2 with the validate document and starts nothing; on a real
cloud, drift only a replacement would repair exits 1 with DRIFT_REQUIRES_REPLACE, starting nothing),
starts the provision workflow and follows it state by state; on a real cloud it repairs drift (what is
gone is recreated, what changed is updated in place). Prints the execution document
{executionArn, name, status, error?, cause?, output?}; exit 0 on SUCCEEDED, 1 otherwise.
Re-running the same plan converges on the same resources.
--on-failure keep (the plan's onFailure: keep) leaves what a failed run created, so that
natflow executions redrive ID continues it, or natflow executions rollback ID removes it; the default,
rollback, removes it at once. --cloud (or the plan's cloud:, or NATFLOW_CLOUD, or where the plan's
resources are recorded) chooses where the resources are created:
${CLOUD_LIST}
On a real cloud the dry run reads that account first.
With --preview it first prints what 'natflow plan' would (actions and paths), starts nothing if the plan
would fail (exit 1), and asks for 'yes' on a terminal; without a terminal it refuses (exit 2) unless
--yes is given. With --json it prints {preview, execution}.`;

const command: Command = {
  usage,
  async run({ argv, io, env }) {
    const { values, positionals } = parseFlags(argv, {
      name: { type: 'string' },
      'no-wait': { type: 'boolean', default: false },
      'on-failure': { type: 'string' },
      preview: { type: 'boolean', default: false },
      yes: { type: 'boolean', default: false },
    });
    const onFailure = values['on-failure'];
    if (onFailure !== undefined && onFailure !== 'rollback' && onFailure !== 'keep')
      throw new UsageError(`--on-failure must be rollback or keep (got ${onFailure})`);
    const [file, ...extra] = positionals;
    if (!file || extra.length > 0) throw new UsageError(`expected one PLAN_FILE\n${usage}`);
    if (values.preview) {
      const { provisionWithPreview } = await import('../provision-preview.ts');
      return provisionWithPreview(file, { ...values, onFailure }, { io, env });
    }
    const dataDir = dataDirOf(values['data-dir'], env);
    const [{ openLocalStore }, planFile, run] = await Promise.all([
      import('../local-store.ts'),
      import('../plan-file.ts'),
      import('../run-workflow.ts'),
    ]);

    // The cloud: --cloud > the plan's cloud: > NATFLOW_CLOUD > where the plan's resources are recorded;
    // the dry run reads that cloud (refreshed).
    const store = openLocalStore(dataDir);
    let cloud: CloudName = DEFAULT_CLOUD;
    const validation = await planFile
      .validatePlanFile(async (document) => {
        cloud = await plannedCloud(values, env, document, store);
        return dryRunSourceOf(cloud, store, env);
      }, file)
      .finally(() => store.close());
    if (!validation.valid || !validation.plan) {
      if (values.json) printJson(io, { valid: false, errors: validation.errors });
      else planFile.printPlanErrors(io, file, validation.errors);
      // A plan that holds together but meets a cloud only a replacement would repair fails (exit 1).
      const drifted = validation.errors.some((e) => e.code === 'DRIFT_REQUIRES_REPLACE');
      return drifted ? EXIT_FAILED : EXIT_USAGE;
    }
    return run.runWorkflowCommand(
      values,
      { io, env },
      {
        workflow: 'provision',
        // The cloud travels with the plan: every step, the plan record and its resources record it.
        input: {
          ...(validation.document as Record<string, unknown>),
          cloud,
          ...(onFailure === undefined ? {} : { onFailure }),
        },
        name: values.name,
      },
    );
  },
};

export default command;
