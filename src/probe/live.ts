/**
 * The live network port: what the probe and the verification need from a running data plane — bring it
 * in line with the resources, then send one real request along a path. The core owns this interface;
 * the local runtime's `DataPlane` (src/local-dataplane/) implements it, and on AWS there is none (the
 * probe analyses only). Nothing in the core imports the implementation.
 */
import type { Resource } from '../cloud/resources.ts';
import type { ProbeProtocol } from './policy.ts';

export interface LiveProbe {
  fromServerId: string;
  /** The destination as the sender addresses it: resolved within `vpcId`. */
  to: { ip: string; vpcId: string };
  protocol: ProbeProtocol;
  port: number;
  timeoutMs?: number;
}

export interface LiveResult {
  /** An application answered. */
  ok: boolean;
  /** The HTTP status (or refused | timeout) for http; connected | refused | timeout for tcp; echoed | timeout for udp. */
  status: number | 'connected' | 'refused' | 'timeout' | 'echoed';
  latencyMs: number;
  /** The name of the server whose application answered. */
  responder?: string;
  /** The source each hop saw, as virtual `ip:port` (load balancer, server). */
  seen?: { loadBalancer?: string; server?: string };
  /** Where the real packets went, for a person to repeat. */
  via?: { from: string; to: string };
  detail?: string;
}

export interface LiveNetwork {
  /** Reconciles the live network with `resources` (idempotent); resolves once it has settled. */
  sync(resources: readonly Resource[]): Promise<void>;
  /**
   * Reconciles part of it (optional): the resources `inScope` selects are replaced by `resources`, both
   * read by `load` when this sync's turn comes; the rest stays as the last sync saw it.
   */
  syncScopeFrom?(
    load: () => Promise<{ resources: readonly Resource[]; inScope: (resource: Resource) => boolean }>,
  ): Promise<void>;
  /** Sends one real request from a server and reports what answered. */
  send(probe: LiveProbe): Promise<LiveResult>;
}
