/**
 * Which cloud a command or a workflow step drives (DESIGN §10), and the provider for it.
 *
 * Selection: the CLI's `--cloud` flag wins over the plan's `cloud:` field, which wins over
 * `NATFLOW_CLOUD`; the default is `virtual`. Once a plan is provisioned its cloud is recorded with the
 * plan record (the document's `cloud`) and every resource (`Resource.cloud`), and teardown, verify and
 * rollback follow that record, not the environment.
 */
import type { Cloud, CloudName } from '../cloud/cloud.ts';
import { ControlPlane } from '../cloud/control-plane.ts';
import type { Store } from '../cloud/store.ts';
import { type Clock, systemClock } from '../net/clock.ts';
import { readSettings } from './huaweicloud/config.ts';
import { resolveCredentials } from './huaweicloud/credentials.ts';
import { HuaweiCloud } from './huaweicloud/provider.ts';

export { CLOUD_NAMES, cloudOfResource, parseCloudName, recordedCloud, selectCloud } from './select.ts';

type Env = Readonly<Record<string, string | undefined>>;

export interface OpenCloudOptions {
  store: Store;
  clock?: Clock;
  env?: Env;
  /** The virtual cloud's provisioning delay (gateways and rules PENDING this long). */
  provisioningDelayMs?: number;
}

/**
 * The provider of `name` over natflow's store: the virtual control plane, or the Huawei Cloud provider
 * with settings and credentials from the environment (or, on AWS, the secret it names).
 */
export async function openCloud(
  name: CloudName,
  options: OpenCloudOptions,
): Promise<Cloud & { store: Store }> {
  const env = options.env ?? process.env;
  const clock = options.clock ?? systemClock;
  if (name === 'virtual') {
    return new ControlPlane({
      store: options.store,
      clock,
      provisioningDelayMs: options.provisioningDelayMs ?? Number(env.NATFLOW_PROVISIONING_DELAY_MS ?? 0),
    });
  }
  const settings = readSettings(env);
  const credentials = await resolveCredentials(env);
  return new HuaweiCloud({ store: options.store, settings, credentials, clock });
}
