/**
 * A state machine of the local Step Functions service, compiled once: its ASL rewritten for the engine
 * (definition.ts), validated with asl-validator once per definition digest, and its Task states bound to
 * their in-process handlers.
 */
import { createHash } from 'node:crypto';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { Clock } from '../net/clock.ts';
import { type CompiledDefinition, compileDefinition, withScaledRetries } from './definition.ts';
import { type ArnScope, stateMachineArnOf } from './names.ts';
import type { SfnServiceOptions, StateMachineSpec, TaskHandler } from './options.ts';
import type { ExecutionDatabase } from './persistence.ts';

/** Digests of definitions this process has validated (see `compileMachine`). */
const validatedDefinitions = new Set<string>();
/** Part of the validation digest: a different engine may validate differently. */
const ENGINE_VALIDATION_KEY = 'aws-local-stepfunctions@3 checkArn checkPaths';

export interface Machine {
  arn: string;
  name: string;
  spec: StateMachineSpec;
  compiled: CompiledDefinition;
  engine: StateMachine;
  handlers: ReadonlyMap<string, TaskHandler>;
  creationDate: Date;
}

export function compileMachine(
  spec: StateMachineSpec,
  resolveTask: SfnServiceOptions['resolveTask'],
  context: {
    scope: ArnScope;
    db: ExecutionDatabase;
    clock: Clock;
    creationDate: Date;
    validate: boolean;
    /** Factor applied to Retry pauses (the service's `waitTimeScale`; Wait states are scaled per run). */
    retryScale?: number;
  },
): Machine {
  const { scope, db, clock, creationDate, validate } = context;
  const validated = compileDefinition(spec.definition, scope);
  const definition = validated.engineDefinition as unknown as StateMachineDefinition;
  // The engine validates with asl-validator, which compiles its schemas on every call (70–170 ms a
  // definition). A definition is validated once, then remembered by digest in-process and in the database.
  const digest = createHash('sha256')
    .update(ENGINE_VALIDATION_KEY)
    .update(JSON.stringify(definition))
    .digest('hex');
  if (validate && !validatedDefinitions.has(digest) && !db.isValidated(digest)) {
    try {
      // The validator annotates the states it checks (QueryLanguage), hence the copy.
      new StateMachine(structuredClone(definition), {
        validationOptions: { checkArn: true, checkPaths: true },
      });
    } catch (error) {
      throw new Error(
        `state machine ${spec.name}: ${error instanceof Error ? error.message : String(error)}`,
        {
          cause: error,
        },
      );
    }
    db.markValidated(digest, clock.now());
    validatedDefinitions.add(digest);
  }
  // What the engine runs: the validated definition, its Retry pauses scaled (a redrive reads it too).
  const compiled: CompiledDefinition = {
    ...validated,
    engineDefinition: withScaledRetries(validated.engineDefinition, context.retryScale ?? 1),
  };
  const engine = new StateMachine(compiled.engineDefinition as unknown as StateMachineDefinition, {
    validationOptions: { noValidate: true },
  });
  const handlers = new Map<string, TaskHandler>();
  for (const task of compiled.tasks.values()) {
    handlers.set(task.stateName, resolveTask(task.resource, task.stateName));
  }
  return {
    arn: stateMachineArnOf(scope, spec.name),
    name: spec.name,
    spec,
    compiled,
    engine,
    handlers,
    creationDate,
  };
}
