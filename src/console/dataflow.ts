/**
 * The step details' advanced view: how a state's input became its output, stage by stage —
 * InputPath → Parameters → (the task's result) → ResultSelector → ResultPath → OutputPath — computed by
 * the engine that runs the workflows (`aws-local-stepfunctions`), so every path, intrinsic function and
 * `$$` context reference means exactly what it meant when the state ran.
 *
 * The engine does not export its path functions; each stage is computed by running a one-state
 * machine — a Pass state carrying the fields of the stages so far — which the engine processes with
 * the same code as any state: InputPath and Parameters on the input, `Result` then ResultPath onto the
 * raw input, OutputPath last. ResultSelector is Parameters applied to the task's result.
 */
import { type RunOptions, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';

export type StageName =
  | 'Input'
  | 'InputPath'
  | 'Parameters'
  | 'Result'
  | 'ResultSelector'
  | 'ResultPath'
  | 'OutputPath';

export interface Stage {
  stage: StageName;
  /** The field as written in the state (a path, a template), when the state has it. */
  expression?: unknown;
  /** The data after this stage. */
  value?: unknown;
  /** The state has no such field: the data passes through unchanged. */
  skipped?: boolean;
  /** The engine rejected this stage (a path that matches nothing, say): the error it raised. */
  error?: string;
}

export interface DataFlowRequest {
  /** The state's definition as written. */
  state: Record<string, unknown>;
  /** The state's raw input (its StateEntered input). */
  input: unknown;
  /** A Task's result as its function returned it (LambdaFunctionSucceeded output), when it has one. */
  result?: unknown;
  /** The context object (`$$`): Execution, StateMachine, State. */
  context?: Record<string, unknown>;
}

async function pass(fields: Record<string, unknown>, input: unknown, context: unknown): Promise<unknown> {
  const definition = { StartAt: 'Stage', States: { Stage: { Type: 'Pass', End: true, ...fields } } };
  const machine = new StateMachine(definition as unknown as StateMachineDefinition, {
    validationOptions: { noValidate: true },
  });
  return machine.run(input as Parameters<StateMachine['run']>[0], { context } as RunOptions).result;
}

const has = (state: Record<string, unknown>, key: string) => Object.hasOwn(state, key);

/**
 * The stages of one state's data flow.
 *
 * @example
 *   await dataFlowOf({ state: { Type: 'Task', InputPath: '$.plan' }, input: { plan: { name: 'a' } } });
 *   // [{stage: 'Input', value: {plan: {name: 'a'}}}, {stage: 'InputPath', expression: '$.plan', value: {name: 'a'}}, …]
 */
export async function dataFlowOf(request: DataFlowRequest): Promise<Stage[]> {
  const { state, input } = request;
  const context = request.context ?? {};
  const stages: Stage[] = [{ stage: 'Input', value: input }];
  const attempt = async (stage: StageName, expression: unknown, compute: () => Promise<unknown>) => {
    try {
      const value = await compute();
      stages.push({ stage, expression, value });
      return { ok: true as const, value };
    } catch (error) {
      stages.push({ stage, expression, error: error instanceof Error ? error.message : String(error) });
      return { ok: false as const };
    }
  };

  const inputFields: Record<string, unknown> = {};
  let effective: unknown = input;
  if (has(state, 'InputPath')) {
    inputFields.InputPath = state.InputPath;
    const done = await attempt('InputPath', state.InputPath, () => pass(inputFields, input, context));
    if (!done.ok) return stages;
    effective = done.value;
  } else stages.push({ stage: 'InputPath', skipped: true, value: effective });

  const template = state.Type === 'Map' ? (state.ItemSelector ?? state.Parameters) : state.Parameters;
  if (template !== undefined && state.Type !== 'Map') {
    const done = await attempt('Parameters', template, () =>
      pass({ ...inputFields, Parameters: template }, input, context),
    );
    if (!done.ok) return stages;
    effective = done.value;
  } else stages.push({ stage: 'Parameters', skipped: true, value: effective });

  // The result: a Task's from its function; a Pass state's own Result, or its effective input.
  let result: unknown;
  let known = false;
  if (state.Type === 'Task' && request.result !== undefined) {
    result = request.result;
    known = true;
  } else if (state.Type === 'Pass') {
    result = has(state, 'Result') ? state.Result : effective;
    known = true;
  } else if (request.result !== undefined) {
    result = request.result;
    known = true;
  }
  if (!known) {
    stages.push({ stage: 'Result', skipped: true });
    return stages;
  }
  stages.push({ stage: 'Result', value: result });

  if (state.ResultSelector !== undefined && state.Type !== 'Pass') {
    const done = await attempt('ResultSelector', state.ResultSelector, () =>
      pass({ Parameters: state.ResultSelector }, result, context),
    );
    if (!done.ok) return stages;
    result = done.value;
  } else stages.push({ stage: 'ResultSelector', skipped: true, value: result });

  const outputFields: Record<string, unknown> = { Result: result };
  if (has(state, 'ResultPath')) {
    outputFields.ResultPath = state.ResultPath;
    const done = await attempt('ResultPath', state.ResultPath, () => pass(outputFields, input, context));
    if (!done.ok) return stages;
  } else {
    // ResultPath "$" (the default): the result replaces the input.
    stages.push({ stage: 'ResultPath', skipped: true, value: result });
  }

  if (has(state, 'OutputPath')) {
    outputFields.OutputPath = state.OutputPath;
    await attempt('OutputPath', state.OutputPath, () => pass(outputFields, input, context));
  } else {
    const last = stages.at(-1)?.value;
    stages.push({ stage: 'OutputPath', skipped: true, value: last });
  }
  return stages;
}
