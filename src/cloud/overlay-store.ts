/**
 * A copy-on-write `Store` over a real store: what a dry run provisions into (`validatePlan`, and the
 * "after" state of a preview). Reads fall through to the base store through its indexes; every write
 * stays in the overlay, in memory; the base is never written. So a dry run costs what the plan touches,
 * not the size of the store (copying the store into a `MemoryStore` cost O(store) per validation).
 *
 * The port's guarantees hold across both layers, as if the overlay's writes had been made to a copy of
 * the base:
 * - **Unique keys.** A key is held by an overlay resource (recorded here), or by a base resource the
 *   overlay has neither removed nor replaced (asked of the base's `getByKey`). Removing a base resource
 *   frees its keys without knowing them: a base holder whose id the overlay removed holds nothing.
 * - **References.** `referrers(id)` is the base's referrers (minus removed ones, updated ones in their
 *   overlay version) plus the overlay's own resources whose references include `id`. An update keeps a
 *   resource's keys and references (the port's rule), so a base resource updated in the overlay keeps
 *   the base's.
 * - **Transactions** are serialised (one at a time) and run on a draft of the overlay, which replaces it
 *   only when the function resolves: a throw leaves nothing behind; readers outside a transaction see
 *   committed overlay state only. Base reads are not isolated from writers of the base: a dry run over
 *   a live store sees the base as it is at each read, as a validation made at that moment would.
 * - Everything handed out of the overlay is a structured clone; base reads are the base's own copies.
 *
 * `changes()` says what the overlay holds against the base — the difference a preview shows.
 *
 * @example
 * const sandbox = new OverlayStore(store);            // store: the real SQLite/DynamoDB/memory store
 * await new ControlPlane({ store: sandbox }).createVpc({ … });
 * sandbox.changes().created;                          // [the VPC], and `store` is unchanged
 */
import { AsyncMutex } from './memory-store.ts';
import type { Resource } from './resources.ts';
import {
  type InsertOptions,
  type PlanRecord,
  type ResourceQuery,
  type Store,
  type StoreReader,
  type StoreTx,
  UniqueKeyViolation,
} from './store.ts';

/** What an overlay holds against its base (`OverlayStore.changes()`), each list in creation order. */
export interface OverlayChanges {
  /** Resources inserted in the overlay. An id the overlay removed from the base and inserted again is
   * listed here and in `removed`. */
  created: Resource[];
  /** Base resources the overlay updated, as they are in the overlay (their keys and references are the
   * base's). */
  updated: Resource[];
  /** Ids of base resources the overlay removed. */
  removed: string[];
  /** Plan records written in the overlay. */
  plansPut: PlanRecord[];
  /** Names of plan records the overlay removed (whether or not the base had them). */
  plansRemoved: string[];
}

interface Row {
  resource: Resource;
  /** `base`: a base resource updated in the overlay (keys and references stay the base's). */
  origin: 'overlay' | 'base';
  keys: readonly string[];
  refs: readonly string[];
  seq: number;
}

interface Layer {
  /** Resources written in the overlay: inserted ones, and base ones updated. */
  rows: Map<string, Row>;
  /** Base ids removed (a later insert of the same id is a row of origin `overlay`). */
  removed: Set<string>;
  /** Keys held by resources inserted in the overlay. */
  keys: Map<string, string>;
  plans: Map<string, PlanRecord>;
  removedPlans: Set<string>;
  seq: number;
}

function emptyLayer(): Layer {
  return {
    rows: new Map(),
    removed: new Set(),
    keys: new Map(),
    plans: new Map(),
    removedPlans: new Set(),
    seq: 0,
  };
}

function copyLayer(layer: Layer): Layer {
  return {
    rows: new Map(layer.rows),
    removed: new Set(layer.removed),
    keys: new Map(layer.keys),
    plans: new Map(layer.plans),
    removedPlans: new Set(layer.removedPlans),
    seq: layer.seq,
  };
}

function matches(resource: Resource, query: ResourceQuery): boolean {
  return (
    (query.type === undefined || resource.type === query.type) &&
    (query.plan === undefined || resource.plan === query.plan) &&
    (query.execution === undefined || resource.execution === query.execution)
  );
}

/** Creation order, as the port defines it: createdAt, then id. */
function byCreation(x: Resource, y: Resource): number {
  if (x.createdAt !== y.createdAt) return x.createdAt < y.createdAt ? -1 : 1;
  return x.id < y.id ? -1 : x.id > y.id ? 1 : 0;
}

class LayerReader implements StoreReader {
  protected readonly base: StoreReader;
  protected readonly layer: () => Layer;

  constructor(base: StoreReader, layer: () => Layer) {
    this.base = base;
    this.layer = layer;
  }

  /** The overlay's view of a base resource: hidden when removed or replaced by a re-insert. */
  protected fromBase(resource: Resource | undefined): Resource | undefined {
    if (!resource) return undefined;
    const layer = this.layer();
    const row = layer.rows.get(resource.id);
    if (row) return row.origin === 'base' ? structuredClone(row.resource) : undefined;
    return layer.removed.has(resource.id) ? undefined : resource;
  }

  async get(id: string): Promise<Resource | undefined> {
    const layer = this.layer();
    const row = layer.rows.get(id);
    if (row) return structuredClone(row.resource);
    if (layer.removed.has(id)) return undefined;
    return this.base.get(id);
  }

  async list(query: ResourceQuery = {}): Promise<Resource[]> {
    const layer = this.layer();
    const out: Resource[] = [];
    for (const resource of await this.base.list(query)) {
      if (layer.rows.has(resource.id) || layer.removed.has(resource.id)) continue;
      out.push(resource);
    }
    for (const row of layer.rows.values()) {
      if (matches(row.resource, query)) out.push(structuredClone(row.resource));
    }
    return out.sort(byCreation);
  }

  async getByKey(key: string): Promise<Resource | undefined> {
    const layer = this.layer();
    const id = layer.keys.get(key);
    if (id !== undefined) {
      const row = layer.rows.get(id);
      return row ? structuredClone(row.resource) : undefined;
    }
    return this.fromBase(await this.base.getByKey(key));
  }

  async referrers(id: string): Promise<Resource[]> {
    const out: Resource[] = [];
    for (const resource of await this.base.referrers(id)) {
      const seen = this.fromBase(resource);
      if (seen) out.push(seen);
    }
    const mine = [...this.layer().rows.values()]
      .filter((row) => row.origin === 'overlay' && row.refs.includes(id))
      .sort((a, b) => a.seq - b.seq);
    for (const row of mine) out.push(structuredClone(row.resource));
    return out;
  }

  async getPlan(name: string): Promise<PlanRecord | undefined> {
    const layer = this.layer();
    const record = layer.plans.get(name);
    if (record) return structuredClone(record);
    if (layer.removedPlans.has(name)) return undefined;
    return this.base.getPlan(name);
  }

  async listPlans(): Promise<PlanRecord[]> {
    const layer = this.layer();
    const byName = new Map<string, PlanRecord>();
    for (const record of await this.base.listPlans()) {
      if (!layer.removedPlans.has(record.name)) byName.set(record.name, record);
    }
    for (const record of layer.plans.values()) byName.set(record.name, structuredClone(record));
    return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

class OverlayTx extends LayerReader implements StoreTx {
  private readonly draft: Layer;

  constructor(base: StoreReader, draft: Layer) {
    super(base, () => draft);
    this.draft = draft;
  }

  async insert(resource: Resource, options: InsertOptions): Promise<void> {
    if ((await this.get(resource.id)) !== undefined) {
      throw new UniqueKeyViolation(`id:${resource.id}`, resource.id);
    }
    const unique = [...new Set(options.keys)];
    for (const key of unique) {
      const holder = await this.getByKey(key);
      if (holder) throw new UniqueKeyViolation(key, holder.id);
    }
    this.draft.seq += 1;
    this.draft.rows.set(resource.id, {
      resource: structuredClone(resource),
      origin: 'overlay',
      keys: unique,
      refs: [...new Set(options.refs)],
      seq: this.draft.seq,
    });
    for (const key of unique) this.draft.keys.set(key, resource.id);
  }

  async update(resource: Resource): Promise<void> {
    const row = this.draft.rows.get(resource.id);
    if (row) {
      this.draft.rows.set(resource.id, { ...row, resource: structuredClone(resource) });
      return;
    }
    if (this.draft.removed.has(resource.id) || (await this.base.get(resource.id)) === undefined) {
      throw new Error(`update of a missing resource ${resource.id}`);
    }
    this.draft.seq += 1;
    this.draft.rows.set(resource.id, {
      resource: structuredClone(resource),
      origin: 'base',
      keys: [],
      refs: [],
      seq: this.draft.seq,
    });
  }

  async remove(id: string): Promise<void> {
    const row = this.draft.rows.get(id);
    if (row) {
      this.draft.rows.delete(id);
      for (const key of row.keys) if (this.draft.keys.get(key) === id) this.draft.keys.delete(key);
      if (row.origin === 'base') this.draft.removed.add(id);
      return;
    }
    if (this.draft.removed.has(id)) return;
    if ((await this.base.get(id)) !== undefined) this.draft.removed.add(id);
  }

  async putPlan(record: PlanRecord): Promise<void> {
    this.draft.removedPlans.delete(record.name);
    this.draft.plans.set(record.name, structuredClone(record));
  }

  async removePlan(name: string): Promise<void> {
    this.draft.plans.delete(name);
    this.draft.removedPlans.add(name);
  }
}

/** A copy-on-write store over `base` (see the module comment). Closing it leaves the base open. */
export class OverlayStore extends LayerReader implements Store {
  private current: Layer = emptyLayer();
  private readonly mutex = new AsyncMutex();
  private closed = false;

  constructor(base: StoreReader) {
    super(base, () => this.current);
  }

  transaction<T>(_scopes: readonly string[], fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    return this.mutex.run(async () => {
      const draft = copyLayer(this.current);
      const result = await fn(new OverlayTx(this.base, draft));
      this.current = draft;
      return result;
    });
  }

  /** What the overlay holds against its base: created, updated and removed resources, plan writes. */
  changes(): OverlayChanges {
    const rows = [...this.current.rows.values()];
    const created = rows
      .filter((row) => row.origin === 'overlay')
      .map((row) => structuredClone(row.resource));
    const updated = rows.filter((row) => row.origin === 'base').map((row) => structuredClone(row.resource));
    return {
      created: created.sort(byCreation),
      updated: updated.sort(byCreation),
      removed: [...this.current.removed].sort(),
      plansPut: [...this.current.plans.values()]
        .map((record) => structuredClone(record))
        .sort((a, b) => (a.name < b.name ? -1 : 1)),
      plansRemoved: [...this.current.removedPlans].sort(),
    };
  }

  /** Closes the overlay (later transactions are refused); the base store stays open. */
  async close(): Promise<void> {
    this.closed = true;
  }
}
