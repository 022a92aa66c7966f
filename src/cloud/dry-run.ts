/**
 * Where a plan's dry run runs (docs/clouds.md, "the rules before the call"): a `Cloud` answers its own
 * sandbox (`Cloud.dryRun`); a bare store — the callers that predate the cloud port — is the ledger of the
 * virtual cloud, whose dry run is a copy-on-write overlay of it (`OverlayStore`).
 */
import type { Cloud, DryRun, DryRunScope } from './cloud.ts';
import { virtualDryRun } from './control-plane.ts';
import type { StoreReader } from './store.ts';

/** A cloud, or a store read as the virtual cloud's ledger. */
export type DryRunSource = Cloud | StoreReader;

/** True for a cloud port (rather than a store). */
export function isCloud(source: DryRunSource): source is Cloud {
  return typeof (source as Partial<Cloud>).dryRun === 'function';
}

/** The sandbox for a dry run of `scope` against `source`. */
export function dryRunOf(source: DryRunSource, scope: DryRunScope): Promise<DryRun> {
  return isCloud(source) ? source.dryRun(scope) : virtualDryRun(source, undefined, scope);
}
