/**
 * What the local Huawei API asks of the live data plane about an ELB member (docs/huaweicloud-api.md): the API
 * declares it, the stack (the composition root) provides it from its data plane, so this stand-in never
 * imports another. Without one, a member's health is the model's (`memberHealth` of src/probe/policy.ts:
 * an app on the checked port, a security group that admits the load balancer's backend address).
 */
export interface MemberHealthSource {
  /**
   * The last health check of member `serverId:port` of backend group `backendGroupId`: true (passed),
   * false (failed), null (not checked yet), undefined (nothing checks it: no listener, no data plane).
   */
  memberHealth(backendGroupId: string, serverId: string, port: number): boolean | null | undefined;
}
