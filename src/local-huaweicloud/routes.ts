/** The route table type shared by the service modules. */
import type { ApiRequest, ApiResult, HuaweiContext } from './context.ts';
import type { HuaweiService } from './errors.ts';

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** `/v1/{project_id}/vpcs/{vpc_id}` as the API reference writes it. */
  path: string;
  service: HuaweiService;
  /** Whether the route changes state (the data plane is synced after it). */
  write?: boolean;
  handler: (ctx: HuaweiContext, req: ApiRequest) => Promise<ApiResult>;
}
