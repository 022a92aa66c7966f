/**
 * The huaweicloud provider's worlds for the cloud port's contract (test/cloud/cloud-contract.ts): the
 * provider opened through the registry, as a command or a step opens it, with its settings from an
 * environment that points it at natflow's own local Huawei Cloud API on loopback — so every call is a
 * signed HTTP request on Huawei's paths, answered by a fresh, empty account (its own store).
 * `NATFLOW_HWC_SETTLE_MS` sets how long the account takes: with 0 a create still answers its in-between
 * status (a VPC `CREATING`, a gateway `INACTIVE`) and has settled by the next request; with a few tens of
 * milliseconds a child's parent is really still settling when the child is created, and `settle` waits
 * longer than that.
 */
import { MemoryStore } from '../../../src/cloud/memory-store.ts';
import {
  DEFAULT_AK,
  DEFAULT_PROJECT_ID,
  DEFAULT_SK,
  huaweiCloudConfig,
  startHuaweiCloudServer,
} from '../../../src/local-huaweicloud/index.ts';
import { openCloud } from '../../../src/providers/registry.ts';
import type { ContractWorld } from '../../cloud/cloud-contract.ts';

export function huaweiCloudContractWorld(settleMs: number): () => Promise<ContractWorld> {
  return async () => {
    const server = await startHuaweiCloudServer({
      store: new MemoryStore(),
      ...huaweiCloudConfig({ NATFLOW_HWC_SETTLE_MS: String(settleMs) }),
    });
    const cloud = await openCloud('huaweicloud', {
      store: new MemoryStore(),
      env: {
        HUAWEICLOUD_ENDPOINT: server.url,
        HUAWEICLOUD_SDK_AK: DEFAULT_AK,
        HUAWEICLOUD_SDK_SK: DEFAULT_SK,
        HUAWEICLOUD_SDK_PROJECT_ID: DEFAULT_PROJECT_ID,
      },
    });
    return {
      cloud,
      settle: () => new Promise((done) => setTimeout(done, settleMs + 10)),
      close: () => server.close(),
    };
  };
}
