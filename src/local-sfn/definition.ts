/**
 * Prepares an ASL (JSONPath) definition for `aws-local-stepfunctions` and indexes its states.
 *
 * The definitions in `statemachines/` name their Lambda functions as CloudFormation does,
 * `{"Fn::GetAtt": ["<function>", "Arn"]}`, which serverless-step-functions resolves on deployment. The
 * local engine validates Task resources as ARN strings, so each one is replaced by the function's ARN in
 * the local account (`arn:aws:lambda:us-east-1:123456789012:function:<function>`), and the original
 * resource is kept for the runtime's `resolveTask`. A Task with no `TimeoutSeconds` gets no bound but the
 * execution's, as on AWS (`UNBOUNDED_TASK_TIMEOUT_SECONDS`), not the engine's 60 s.
 *
 * The index maps every state name — including those inside Parallel branches and Map processors — to its
 * type and to the Parallel or Map state that contains it. The history recorder uses the containment to keep
 * a container's closing events after the events of its branches. ASL requires state names to be unique in
 * the whole state machine; the engine binds Task handlers by state name, so a duplicate is rejected here.
 */

/** The ASL state types. */
export type StateType = 'Task' | 'Parallel' | 'Map' | 'Pass' | 'Wait' | 'Choice' | 'Succeed' | 'Fail';

export interface StateInfo {
  readonly name: string;
  readonly type: StateType;
  /** The Parallel or Map state whose branch or processor holds this state. */
  readonly container: string | undefined;
  /** The state's definition as written (Task `Resource` unresolved). */
  readonly definition: Readonly<Record<string, unknown>>;
}

export interface TaskInfo {
  readonly stateName: string;
  /** The `Resource` as written: `{"Fn::GetAtt": ["fn", "Arn"]}` or an ARN string. */
  readonly resource: unknown;
  readonly functionName: string;
  /** The function's ARN in the local account, as the engine and the history show it. */
  readonly functionArn: string;
}

export interface CompiledDefinition {
  /** The definition handed to the engine (Task resources as ARN strings). */
  readonly engineDefinition: Record<string, unknown>;
  readonly states: ReadonlyMap<string, StateInfo>;
  readonly tasks: ReadonlyMap<string, TaskInfo>;
}

const STATE_TYPES: ReadonlySet<string> = new Set([
  'Task',
  'Parallel',
  'Map',
  'Pass',
  'Wait',
  'Choice',
  'Succeed',
  'Fail',
]);

/**
 * The `TimeoutSeconds` given to a Task that sets none. Step Functions puts no bound of its own on such a
 * Task (its documented default, 99999999 s: the Lambda function's timeout is the bound), while
 * `aws-local-stepfunctions` fails it `States.Timeout` after 60 s — which a create that the cloud answers
 * only once it exists (an ELB v3 load balancer taking minutes, docs/real-cloud.md#time) outlasts. The
 * largest a timer takes (about 24.8 days; a longer one would fire at once); the execution's own
 * `TimeoutSeconds` bounds it first.
 */
export const UNBOUNDED_TASK_TIMEOUT_SECONDS = 2_147_483;

const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[^:]*:[^:]*:function:([^:]+)(?::[^:]+)?$/;

/** The Lambda function a Task `Resource` names, or `undefined` when it names none. */
export function functionNameOf(resource: unknown): string | undefined {
  if (typeof resource === 'string') return LAMBDA_ARN.exec(resource)?.[1];
  if (isRecord(resource)) {
    const getAtt = resource['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string' && getAtt[1] === 'Arn') return getAtt[0];
    if (typeof getAtt === 'string' && getAtt.endsWith('.Arn')) return getAtt.slice(0, -'.Arn'.length);
  }
  return undefined;
}

/**
 * Indexes `definition` and rewrites its Task resources for the local engine.
 * Throws on a duplicate state name or a Task whose resource names no Lambda function.
 */
export function compileDefinition(
  definition: object,
  arnPrefix: { region: string; accountId: string },
): CompiledDefinition {
  const engineDefinition = structuredClone(definition) as Record<string, unknown>;
  const states = new Map<string, StateInfo>();
  const tasks = new Map<string, TaskInfo>();

  const visit = (machine: unknown, container: string | undefined, where: string): void => {
    if (!isRecord(machine) || !isRecord(machine.States)) {
      throw new Error(`${where}: a state machine needs a States object`);
    }
    for (const [name, state] of Object.entries(machine.States)) {
      if (!isRecord(state) || typeof state.Type !== 'string' || !STATE_TYPES.has(state.Type)) {
        throw new Error(`${where}: state ${JSON.stringify(name)} has no valid Type`);
      }
      if (states.has(name)) {
        throw new Error(`state name ${JSON.stringify(name)} is used twice; ASL state names must be unique`);
      }
      const type = state.Type as StateType;
      states.set(name, { name, type, container, definition: structuredClone(state) });
      if (type === 'Task') {
        const functionName = functionNameOf(state.Resource);
        if (functionName === undefined) {
          throw new Error(
            `Task ${JSON.stringify(name)}: Resource ${JSON.stringify(state.Resource)} names no Lambda function`,
          );
        }
        const functionArn = `arn:aws:lambda:${arnPrefix.region}:${arnPrefix.accountId}:function:${functionName}`;
        tasks.set(name, { stateName: name, resource: state.Resource, functionName, functionArn });
        state.Resource = functionArn;
        if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined)
          state.TimeoutSeconds = UNBOUNDED_TASK_TIMEOUT_SECONDS;
      } else if (type === 'Parallel' && Array.isArray(state.Branches)) {
        state.Branches.forEach((branch, i) => {
          visit(branch, name, `${name}.Branches[${i}]`);
        });
      } else if (type === 'Map') {
        visit(state.ItemProcessor ?? state.Iterator, name, `${name}.ItemProcessor`);
      }
    }
  };
  visit(engineDefinition, undefined, 'definition');
  return { engineDefinition, states, tasks };
}

/** Whether `name` is `container` or lies (transitively) inside it. */
export function isWithin(states: ReadonlyMap<string, StateInfo>, name: string, container: string): boolean {
  let current: string | undefined = name;
  for (let depth = 0; current !== undefined && depth <= states.size; depth++) {
    if (current === container) return true;
    current = states.get(current)?.container;
  }
  return false;
}

/**
 * Wait durations shortened by `scale`, keyed by Wait state name, for the engine's `waitTimeOverrides`.
 * `Seconds` and `Timestamp` waits scale; `SecondsPath`/`TimestampPath` waits depend on the input and only
 * a scale of 0 (no waiting) can be applied to them up front.
 */
export function waitTimeOverridesOf(
  states: ReadonlyMap<string, StateInfo>,
  scale: number,
  now: () => number,
): Record<string, number> {
  const overrides: Record<string, number> = {};
  for (const state of states.values()) {
    if (state.type !== 'Wait') continue;
    const { Seconds, Timestamp } = state.definition;
    if (scale === 0) {
      overrides[state.name] = 0;
    } else if (typeof Seconds === 'number') {
      overrides[state.name] = Math.round(Seconds * 1000 * scale);
    } else if (typeof Timestamp === 'string') {
      // A getter: the remaining time is measured when the Wait state runs, not when the run starts.
      Object.defineProperty(overrides, state.name, {
        enumerable: true,
        get: () => Math.max(0, Math.round((Date.parse(Timestamp) - now()) * scale)),
      });
    }
  }
  return overrides;
}

/**
 * The engine's definition with every Retry's pauses scaled by `scale` (`IntervalSeconds` and
 * `MaxDelaySeconds`; `BackoffRate`, `MaxAttempts` and `JitterStrategy` as written), so the engine keeps
 * backing off at any scale: a retrier of 1 s × 1.5 up to 10 s runs 10 ms × 1.5 up to 100 ms at 0.01, and
 * not at all at 0. Scale 1 answers the definition itself. The copy is for the engine only: ASL wants
 * integral seconds, so it is validated before it is scaled.
 */
export function withScaledRetries(
  engineDefinition: Record<string, unknown>,
  scale: number,
): Record<string, unknown> {
  if (scale === 1) return engineDefinition;
  const scaled = structuredClone(engineDefinition);
  const visit = (machine: unknown): void => {
    if (!isRecord(machine) || !isRecord(machine.States)) return;
    for (const state of Object.values(machine.States)) {
      if (!isRecord(state)) continue;
      if (Array.isArray(state.Retry)) {
        for (const retrier of state.Retry) {
          if (!isRecord(retrier)) continue;
          retrier.IntervalSeconds =
            (typeof retrier.IntervalSeconds === 'number' ? retrier.IntervalSeconds : 1) * scale;
          if (typeof retrier.MaxDelaySeconds === 'number') retrier.MaxDelaySeconds *= scale;
        }
      }
      if (Array.isArray(state.Branches)) for (const branch of state.Branches) visit(branch);
      visit(state.ItemProcessor ?? state.Iterator);
    }
  };
  visit(scaled);
  return scaled;
}

/**
 * The number of items a Map state iterates over, for `MapStateStarted.length`, when its `InputPath` and
 * `ItemsPath` are simple paths (`$`, `$.a.b`, `$.a[0]`, `$['a']`); `undefined` otherwise.
 */
export function mapLengthOf(state: StateInfo, rawInput: unknown): number | undefined {
  const { InputPath, ItemsPath } = state.definition;
  if (InputPath === null) return undefined;
  const input = typeof InputPath === 'string' ? evaluateSimplePath(InputPath, rawInput) : rawInput;
  const items = typeof ItemsPath === 'string' ? evaluateSimplePath(ItemsPath, input) : input;
  return Array.isArray(items) ? items.length : undefined;
}

const PATH_STEP = /^(?:\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\])/;

function evaluateSimplePath(path: string, value: unknown): unknown {
  if (!path.startsWith('$') || path.startsWith('$$')) return undefined;
  let rest = path.slice(1);
  let current = value;
  while (rest.length > 0) {
    const step = PATH_STEP.exec(rest);
    if (step === null) return undefined;
    const key = step[1] ?? step[3] ?? step[4];
    if (key !== undefined) {
      if (!isRecord(current)) return undefined;
      current = current[key];
    } else {
      if (!Array.isArray(current)) return undefined;
      current = current[Number(step[2])];
    }
    rest = rest.slice(step[0].length);
  }
  return current;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
