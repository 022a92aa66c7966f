/**
 * What starts a workflow besides a caller, read from serverless.yml's state machines as AWS deploys them:
 * each `eventBridge` event a rule on the local bus (its pattern's `!Ref`s resolved to the local ARNs, its
 * input path kept), and each enabled `schedule` a timer.
 */
import type { LocalEventBus } from '../local-bus/index.ts';
import type { ServerlessConfig } from './serverless-config.ts';
import { machineArnsByLogicalId, resolveMachineRefs } from './status-change.ts';

/** Starts an execution of the state machine `name` (its deployed name) with `input`. */
export type StartMachine = (name: string, input: unknown) => Promise<unknown>;

/** Adds a bus rule for every `eventBridge` event of serverless.yml's state machines. */
export function addEventRules(
  bus: Pick<LocalEventBus, 'addRule'>,
  config: ServerlessConfig,
  arnOf: (name: string) => string,
  start: StartMachine,
): void {
  const machineArnOfId = machineArnsByLogicalId(config, arnOf);
  for (const machine of config.stateMachines.values()) {
    for (const [index, event] of machine.events.entries()) {
      if (!event.eventBridge) continue;
      const detailType = Object.values(event.eventBridge.pattern['detail-type'] ?? {}).join('-') || 'rule';
      bus.addRule({
        // One machine may have several rules for one detail type (provision: onFailure absent or not keep).
        name: `${machine.key}-${detailType}-${index + 1}`,
        pattern: resolveMachineRefs(event.eventBridge.pattern, machineArnOfId) as Record<string, unknown>,
        ...(event.eventBridge.inputPath ? { inputPath: event.eventBridge.inputPath } : {}),
        target: (input) => start(machine.name, input ?? {}),
      });
    }
  }
}

/** Starts the enabled `schedule` events of serverless.yml's state machines; returns what stops them. */
export function startSchedules(config: ServerlessConfig, start: StartMachine): () => void {
  const timers: NodeJS.Timeout[] = [];
  for (const machine of config.stateMachines.values()) {
    for (const event of machine.events) {
      if (!event.schedule?.enabled) continue;
      const input = event.schedule.input ?? {};
      const timer = setInterval(() => {
        void start(machine.name, input).catch((error: unknown) =>
          process.emitWarning(`natflow: the scheduled ${machine.key} did not start: ${String(error)}`),
        );
      }, rateToMs(event.schedule.rate));
      timer.unref();
      timers.push(timer);
    }
  }
  return () => {
    for (const timer of timers) clearInterval(timer);
  };
}

/** `rate(5 minutes)` → milliseconds. */
export function rateToMs(rate: string): number {
  const match = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(rate.trim());
  if (!match) throw new Error(`unsupported schedule expression ${rate} (use rate(N minutes|hours|days))`);
  const n = Number(match[1]);
  const unit = match[2]?.startsWith('minute')
    ? 60_000
    : match[2]?.startsWith('hour')
      ? 3_600_000
      : 86_400_000;
  return n * unit;
}
