/** The provider's four API clients (VPC, ECS, ELB v3, NAT v3 private), each signed for its own endpoint. */
import type { HuaweiCredentials, HuaweiSettings } from './config.ts';
import { EcsApi } from './ecs.ts';
import { ElbApi } from './elb.ts';
import { hcClientFor } from './hc.ts';
import { NatApi } from './nat.ts';
import { VpcApi } from './vpc.ts';

export interface HuaweiApis {
  vpc: VpcApi;
  ecs: EcsApi;
  elb: ElbApi;
  nat: NatApi;
}

/** The clients of the four services, each signed for its own endpoint. */
export function apisFor(settings: HuaweiSettings, credentials: HuaweiCredentials): HuaweiApis {
  return {
    vpc: new VpcApi(hcClientFor(settings.endpoints.vpc, credentials)),
    ecs: new EcsApi(hcClientFor(settings.endpoints.ecs, credentials)),
    elb: new ElbApi(hcClientFor(settings.endpoints.elb, credentials)),
    nat: new NatApi(hcClientFor(settings.endpoints.nat, credentials)),
  };
}
