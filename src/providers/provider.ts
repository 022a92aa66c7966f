/**
 * What a provider is once opened (src/providers/registry.ts opens it): the cloud port of `src/cloud/`,
 * plus the optional capabilities only some providers have, as methods. The registry's entry says, without
 * loading the provider, which of them it has (`capabilities`); an opened provider has the method exactly
 * when its entry's flag says so (test/providers/registry.test.ts checks it).
 *
 * Nothing outside `src/providers/` sees a provider's class: workflows, the CLI and the API hold a
 * `Provider` (or just the `Cloud` port) and ask the registry what it can do.
 */
import type { Cloud } from '../cloud/cloud.ts';
import type { Resource, ResourceType } from '../cloud/resources.ts';
import type { Store } from '../cloud/store.ts';
import type { Clock } from '../net/clock.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** What every provider is opened with: natflow's store (its ledger and model), a clock, the environment. */
export interface OpenOptions {
  store: Store;
  clock?: Clock;
  /** Where a provider reads its settings and credentials (default `process.env`). */
  env?: Env;
  /** The virtual cloud's provisioning delay (gateways and rules PENDING this long); others ignore it. */
  provisioningDelayMs?: number;
}

/** `natflow import`'s scope: the VPCs to read (by the cloud's id or natflow's), or the whole account. */
export interface ImportOptions {
  vpcs?: readonly string[];
}

/** What `natflow import` read into natflow's model (docs/clouds.md). */
export interface ImportReport {
  /** Resources read, by type. */
  imported: Partial<Record<ResourceType, number>>;
  /** Earlier imports no longer on the cloud, dropped from the model. */
  removed: string[];
  /** What could not be modelled, and why (an HTTPS listener, a pool member that is no server…). */
  skipped: Array<{ type: string; externalId: string; reason: string }>;
  /** Earlier imports gone from the cloud but still referenced by natflow's own resources: kept. */
  kept: string[];
}

/** An opened provider: the cloud port, and the capabilities its registry entry declares. */
export interface Provider extends Cloud {
  /**
   * Reads what the account already has into natflow's model, read-only (`imported: true`); a re-import
   * replaces what an earlier one read in its scope. Present iff the entry's `capabilities.importAccount`.
   */
  importAccount?(options?: ImportOptions): Promise<ImportReport>;
  /** Freezes a gateway or rule (FROZEN: it forwards nothing). Present iff `capabilities.freeze`. */
  freeze?(id: string): Promise<Resource>;
  /** Unfreezes a frozen gateway or rule (→ ACTIVE). Present iff `capabilities.freeze`. */
  unfreeze?(id: string): Promise<Resource>;
}

/** The module a provider folder's `index.ts` is: one `open`. */
export interface ProviderModule {
  open(options: OpenOptions): Promise<Provider>;
}
