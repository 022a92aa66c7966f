/**
 * Who runs an execution: each runner marks the executions it runs as `<pid>:<instance>`, so that a
 * RUNNING row whose runner is gone (its process died, or its service was closed) can be told from one a
 * live runner holds — in this process or in another one sharing the database file.
 */
import { randomUUID } from 'node:crypto';

/** Runners alive in this process, by instance id. */
const liveRunners = new Set<string>();

export interface OwnerMark {
  /** The mark written on the executions this runner runs (`<pid>:<instance>`). */
  readonly mark: string;
  /** The runner is gone: its executions count as orphaned from now on. */
  release(): void;
}

/** A new runner's mark, alive until released. */
export function claimOwnerMark(): OwnerMark {
  const instance = randomUUID();
  liveRunners.add(instance);
  return { mark: `${process.pid}:${instance}`, release: () => liveRunners.delete(instance) };
}

/** Whether the runner that marked a row `owner` is still alive (in this process, or another one). */
export function ownerIsAlive(owner: string | undefined): boolean {
  if (owner === undefined) return false;
  const [pidText, instance] = owner.split(':');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return instance !== undefined && liveRunners.has(instance);
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
