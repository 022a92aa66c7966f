import { type Command, dataDirOf, EXIT_USAGE, parseFlags, printJson, UsageError } from '../io.ts';
import { openLocalStore } from '../local-store.ts';
import { validatePlanFile } from '../plan-file.ts';
import { red } from '../render.ts';
import { executionName, runWorkflow } from '../run-workflow.ts';
import { openSession } from '../session.ts';

const usage = `usage: natflow provision PLAN_FILE [--name NAME] [--no-wait] [--json] [--data-dir DIR] [--endpoint URL]

Validates the plan (an invalid plan exits 2 with the validate document and starts nothing), starts the
provision workflow and follows it state by state. Prints the execution document
{executionArn, name, status, error?, cause?, output?}; exit 0 on SUCCEEDED, 1 otherwise.
Re-running the same plan converges on the same resources.`;

const command: Command = {
  summary: 'provision a plan through the provision workflow',
  usage,
  async run({ argv, io, env }) {
    const { values, positionals } = parseFlags(argv, {
      name: { type: 'string' },
      'no-wait': { type: 'boolean', default: false },
    });
    const [file, ...extra] = positionals;
    if (!file || extra.length > 0) throw new UsageError(`expected one PLAN_FILE\n${usage}`);
    const dataDir = dataDirOf(values['data-dir'], env);

    const store = openLocalStore(dataDir);
    const validation = await validatePlanFile(store, file).finally(() => store.close());
    if (!validation.valid || !validation.plan) {
      if (values.json) printJson(io, { valid: false, errors: validation.errors });
      else {
        io.err(red(`natflow: ${file} is not a valid plan; nothing was started`));
        for (const e of validation.errors) io.err(`  ${e.path || '(root)'}: ${e.code}: ${e.message}`);
      }
      return EXIT_USAGE;
    }
    const plan = validation.plan;
    const session = await openSession({ dataDir, endpoint: values.endpoint });
    try {
      const { exitCode } = await runWorkflow(session, {
        workflow: 'provision',
        input: validation.document,
        name: values.name ?? executionName(plan.name),
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
