/**
 * POST /executions `{workflow, input, name?}` — starts a workflow: 201 `{executionArn, name, workflow,
 * startDate}`.
 *
 * A provision input is validated first (the same dry run as POST /plans/validate): an invalid plan is a
 * 422 with every problem and starts nothing. StartExecution's rules hold: the same name and input while
 * that execution runs returns it again (201); a name already used otherwise is 409
 * EXECUTION_ALREADY_EXISTS. Without a name one is generated from the plan's name and the time
 * (`executionNameFor`, the CLI's format too). A plan with `onFailure: keep` runs on `provision-keep`
 * (the definition without Catch, docs/workflows.md).
 *
 * A teardown of a plan with nothing recorded (no plan record, no resource; resources left behind by a
 * rollback count as recorded) starts nothing: 200 `{plan, nothing: true}`, the first time and every time
 * after — as the teardown state machine itself ends when it is started some other way.
 */
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DriftProblem, InvalidPlanProblem } from '../../src/api/problem.ts';
import {
  StartExecutionRequestSchema,
  TeardownInputSchema,
  VerifyInputSchema,
} from '../../src/api/schemas.ts';
import { InvalidInputError } from '../../src/cloud/errors.ts';
import { validatePlan } from '../../src/plan/validate.ts';
import { steps } from '../../src/workflow/steps/index.ts';
import { nothingRecorded } from '../../src/workflow/teardown.ts';
import { executionNameFor } from '../../src/workflow/workflows.ts';
import { httpHandler } from '../lib/http.ts';
import { issuesFromZod } from '../lib/middleware.ts';
import { dryRunSource } from '../lib/steps.ts';
import { type ApiDeps, defaultApiDeps } from './lib/deps.ts';
import { machineArnsOf, machineFor, type Workflow } from './lib/step-functions.ts';

export const createHandler = (deps: ApiDeps = defaultApiDeps()) =>
  httpHandler({ body: StartExecutionRequestSchema }, async ({ body }) => {
    const input = await checkedInput(deps, body.workflow, body.input ?? {});
    if (body.workflow === 'teardown') {
      const { plan } = input as { plan: string };
      if (await nothingRecorded(await deps.store(), plan))
        return { status: 200, body: { plan, nothing: true } };
    }
    const name = body.name ?? executionNameFor(body.workflow, input, deps.clock.now());
    const started = await deps.stepFunctions().send(
      new StartExecutionCommand({
        stateMachineArn: machineArnsOf(deps.stateMachineArns())[machineFor(body.workflow, input)],
        name,
        input: JSON.stringify(input),
      }),
    );
    return {
      status: 201,
      headers: { Location: `/executions/${encodeURIComponent(started.executionArn ?? name)}` },
      body: {
        executionArn: started.executionArn,
        name,
        workflow: body.workflow,
        startDate: (started.startDate ?? new Date(deps.clock.now())).toISOString(),
      },
    };
  });
export const handler = createHandler();

/** The input as the workflow takes it; problems are reported with paths under `input`. */
async function checkedInput(deps: ApiDeps, workflow: Workflow, input: unknown): Promise<unknown> {
  if (workflow === 'provision') {
    const result = await validatePlan(await dryRunSource(deps, input), input, { steps });
    if (!result.valid) {
      const issues = result.errors.map((issue) => ({
        ...issue,
        path: issue.path ? `input.${issue.path}` : 'input',
      }));
      // A real cloud that drifted where only a replacement would repair it: 409, nothing started.
      if (issues.some((issue) => issue.code === 'DRIFT_REQUIRES_REPLACE')) {
        throw new DriftProblem(
          issues,
          'the cloud drifted in a way only replacing a resource would repair; nothing was started',
        );
      }
      throw new InvalidPlanProblem(
        issues,
        `the plan is invalid (${result.errors.length} problems); nothing was started`,
      );
    }
    return input;
  }
  const schema = workflow === 'verify' ? VerifyInputSchema : TeardownInputSchema;
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new InvalidInputError(
      issuesFromZod(parsed.error.issues).map((issue) => ({
        ...issue,
        path: issue.path ? `input.${issue.path}` : 'input',
      })),
    );
  }
  return parsed.data;
}
