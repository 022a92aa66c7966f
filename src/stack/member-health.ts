/**
 * The live data plane's health checks as the local Huawei API asks for them (`MemberHealthSource`,
 * declared by src/local-huaweicloud): the composition root joins the two stand-ins, which never import
 * each other.
 */
import type { DataPlane } from '../local-dataplane/index.ts';
import type { MemberHealthSource } from '../local-huaweicloud/index.ts';

/** A member's last health check over every load balancer checking its group (the first that reported). */
export function memberHealthOf(dataPlane: Pick<DataPlane, 'map'>): MemberHealthSource {
  return {
    memberHealth(backendGroupId, serverId, port) {
      let seen: boolean | null | undefined;
      for (const check of dataPlane.map().health ?? []) {
        if (check.backendGroupId !== backendGroupId) continue;
        const member = check.members.find((m) => m.serverId === serverId && m.port === port);
        if (!member) continue;
        if (member.healthy !== null) return member.healthy;
        seen = null;
      }
      return seen;
    },
  };
}
