/**
 * The `huaweicloud` provider (docs/clouds.md), as the registry opens it: settings from the environment
 * (`config.ts`, the official SDKs' names) and credentials from it or, on AWS, from the secret it names
 * (`credentials.ts`). Loading this module loads the Huawei SDK; the registry loads it only when a
 * command or a step drives this cloud.
 */
import type { OpenOptions } from '../provider.ts';
import { readSettings } from './config.ts';
import { resolveCredentials } from './credentials.ts';
import { HuaweiCloud } from './provider.ts';

export async function open(options: OpenOptions): Promise<HuaweiCloud> {
  const env = options.env ?? process.env;
  const settings = readSettings(env);
  const credentials = await resolveCredentials(env);
  return new HuaweiCloud({
    store: options.store,
    settings,
    credentials,
    ...(options.clock ? { clock: options.clock } : {}),
  });
}
