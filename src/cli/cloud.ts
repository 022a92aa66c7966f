/**
 * The CLI's side of DESIGN §10's cloud selection: every command takes `--cloud virtual|huaweicloud`
 * (flag > plan `cloud:` > `NATFLOW_CLOUD` > virtual); what only the virtual cloud can do exits 2 on a
 * real one, saying why.
 */
import type { CloudName } from '../cloud/cloud.ts';
import type { Resource } from '../cloud/resources.ts';
import { selectCloud } from '../providers/index.ts';
import { UsageError } from './io.ts';

/** The cloud a command drives; a bad `--cloud`/`NATFLOW_CLOUD` value is a usage error (exit 2). */
export function commandCloud(
  values: { cloud?: string | undefined },
  env: NodeJS.ProcessEnv,
  plan?: unknown,
): CloudName {
  try {
    return selectCloud({ flag: values.cloud, plan, env });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Refuses (exit 2) what natflow cannot do on a real cloud. */
export function refuseOnRealCloud(cloud: CloudName, what: string, why: string): void {
  if (cloud === 'virtual') return;
  throw new UsageError(`${what} is not available on ${cloud}: ${why}`);
}

/** The cloud a resource is in, for commands that act on one. */
export function cloudOf(resource: Pick<Resource, 'cloud'>): CloudName {
  return resource.cloud ?? 'virtual';
}
