/**
 * The local Huawei Cloud API on the stack's port (`/v1/…`, `/v1.1/…`, `/v3/…`, docs/huaweicloud-api.md). It
 * authenticates its callers itself (AK/SK signatures, as the product does), so it is open to requests
 * without the stack's token.
 */
import { type HuaweiCloudApi, isHuaweiRequest } from '../../local-huaweicloud/index.ts';
import type { Protocol } from './router.ts';

export function huaweiCloudProtocol(api: Pick<HuaweiCloudApi, 'handle'>): Protocol {
  return {
    name: 'huaweicloud',
    claims: ({ req }) => isHuaweiRequest(req),
    open: () => true,
    async serve({ req, res }) {
      await api.handle(req, res);
    },
  };
}
