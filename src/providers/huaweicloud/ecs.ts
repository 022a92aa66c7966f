/**
 * ECS through the official `@huaweicloud/huaweicloud-sdk-ecs` client: servers are created and deleted
 * asynchronously (a job), listed with their NICs.
 *
 * @API ECS POST /v1.1/{project_id}/cloudservers (CreateServers) · GET /v1/{project_id}/jobs/{job_id} (ShowJob)
 * @API ECS GET /v1/{project_id}/cloudservers/detail (ListServersDetails) · GET /v1/{project_id}/cloudservers/{server_id}
 * @API ECS POST /v1/{project_id}/cloudservers/delete (DeleteServers)
 */

import type { HcClient } from '@huaweicloud/huaweicloud-sdk-core/HcClient.js';
import { EcsClient } from '@huaweicloud/huaweicloud-sdk-ecs/v2/EcsClient.js';
import { call } from './hc.ts';

export interface HwServerAddress {
  addr: string;
  version?: number;
  'OS-EXT-IPS:port_id'?: string;
  'OS-EXT-IPS:type'?: string;
}
export interface HwServer {
  id: string;
  name: string;
  /** `BUILD` | `ACTIVE` | `SHUTOFF` | `ERROR` | `DELETED` … */
  status: string;
  description?: string;
  /** By VPC id. */
  addresses?: Record<string, HwServerAddress[]>;
  metadata?: Record<string, string>;
  security_groups?: Array<{ id?: string; name: string }>;
  /** `key=value` strings. */
  tags?: string[];
  created?: string;
}
export interface HwJob {
  job_id?: string;
  /** `SUCCESS` | `RUNNING` | `FAIL` | `INIT` */
  status: string;
  entities?: { server_id?: string; sub_jobs?: Array<{ status?: string; entities?: { server_id?: string } }> };
  fail_reason?: string;
  error_code?: string;
}
export interface CreateServerBody {
  imageRef: string;
  flavorRef: string;
  name: string;
  vpcid: string;
  nics: Array<{ subnet_id: string; ip_address?: string }>;
  security_groups?: Array<{ id: string }>;
  root_volume: { volumetype: string };
  user_data?: string;
  description?: string;
  server_tags?: Array<{ key: string; value: string }>;
  availability_zone?: string;
  extendparam?: { enterprise_project_id?: string };
}

// biome-ignore lint/suspicious/noExplicitAny: the SDK's request classes take the API's snake_case as plain objects.
type Req = any;

export class EcsApi {
  private readonly client: EcsClient;

  constructor(hc: HcClient) {
    this.client = new EcsClient(hc);
  }

  async createServer(body: CreateServerBody): Promise<{ job_id: string; serverIds?: string[] }> {
    return call('ECS CreateServers', () => this.client.createServers({ body: { server: body } } as Req));
  }
  async showJob(jobId: string): Promise<HwJob> {
    return call('ECS ShowJob', () => this.client.showJob({ job_id: jobId } as Req));
  }
  async showServer(id: string): Promise<HwServer> {
    return (
      await call<{ server: HwServer }>('ECS ShowServer', () =>
        this.client.showServer({ server_id: id } as Req),
      )
    ).server;
  }
  async listServers(query: { name?: string; limit?: number; offset?: number } = {}): Promise<HwServer[]> {
    const out: HwServer[] = [];
    const limit = query.limit ?? 100;
    for (let offset = 1; offset < 10_000; offset++) {
      const page = await call<{ servers?: HwServer[]; count?: number }>('ECS ListServersDetails', () =>
        this.client.listServersDetails({ ...query, limit, offset } as Req),
      );
      const servers = page.servers ?? [];
      out.push(...servers);
      if (servers.length < limit) break;
    }
    return out;
  }
  async deleteServer(id: string): Promise<{ job_id?: string }> {
    return call('ECS DeleteServers', () =>
      this.client.deleteServers({
        body: { servers: [{ id }], delete_publicip: true, delete_volume: true },
      } as Req),
    );
  }
}
