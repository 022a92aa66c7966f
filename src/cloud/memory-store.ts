/**
 * An in-memory `Store`: dry runs (`validatePlan` works on a copy of the real store) and unit tests.
 *
 * Transactions are serialised by an async mutex and run against a copy of the state, which replaces
 * the state only when the transaction's function resolves — so a throw leaves nothing behind, exactly
 * as the SQLite adapter's ROLLBACK does. Readers outside a transaction see committed state only.
 * Everything handed out is a structured clone: callers cannot mutate the store by accident.
 */
import { constraintKeysOf } from './constraints.ts';
import { type Resource, referencesOf } from './resources.ts';
import {
  type InsertOptions,
  type PlanRecord,
  type ResourceQuery,
  type Store,
  type StoreReader,
  type StoreTx,
  UniqueKeyViolation,
} from './store.ts';

interface Row {
  resource: Resource;
  keys: readonly string[];
  refs: readonly string[];
  seq: number;
}

interface State {
  rows: Map<string, Row>;
  keyIndex: Map<string, string>;
  plans: Map<string, PlanRecord>;
  seq: number;
}

function copyState(state: State): State {
  return {
    rows: new Map(state.rows),
    keyIndex: new Map(state.keyIndex),
    plans: new Map(state.plans),
    seq: state.seq,
  };
}

/** A promise chain that runs one task at a time, in call order. */
export class AsyncMutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/** Creation order, as the port defines it: createdAt, then id. */
function byCreation(a: Row, b: Row): number {
  const x = a.resource;
  const y = b.resource;
  if (x.createdAt !== y.createdAt) return x.createdAt < y.createdAt ? -1 : 1;
  return x.id < y.id ? -1 : x.id > y.id ? 1 : 0;
}

class StateReader implements StoreReader {
  protected state: () => State;

  constructor(state: () => State) {
    this.state = state;
  }

  async get(id: string): Promise<Resource | undefined> {
    const row = this.state().rows.get(id);
    return row ? structuredClone(row.resource) : undefined;
  }

  async list(query: ResourceQuery = {}): Promise<Resource[]> {
    const rows = [...this.state().rows.values()].filter(
      ({ resource }) =>
        (query.type === undefined || resource.type === query.type) &&
        (query.plan === undefined || resource.plan === query.plan) &&
        (query.execution === undefined || resource.execution === query.execution),
    );
    rows.sort(byCreation);
    return rows.map((row) => structuredClone(row.resource));
  }

  async getByKey(key: string): Promise<Resource | undefined> {
    const id = this.state().keyIndex.get(key);
    return id === undefined ? undefined : this.get(id);
  }

  async referrers(id: string): Promise<Resource[]> {
    const out: Row[] = [];
    for (const row of this.state().rows.values()) if (row.refs.includes(id)) out.push(row);
    out.sort((a, b) => a.seq - b.seq);
    return out.map((row) => structuredClone(row.resource));
  }

  async getPlan(name: string): Promise<PlanRecord | undefined> {
    const record = this.state().plans.get(name);
    return record ? structuredClone(record) : undefined;
  }

  async listPlans(): Promise<PlanRecord[]> {
    return [...this.state().plans.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((record) => structuredClone(record));
  }
}

class MemoryTx extends StateReader implements StoreTx {
  private readonly draft: State;

  constructor(draft: State) {
    super(() => draft);
    this.draft = draft;
  }

  async insert(resource: Resource, options: InsertOptions): Promise<void> {
    this.insertNow(resource, options);
  }

  /** `insert`, synchronously (it never waits on anything). */
  insertNow(resource: Resource, options: InsertOptions): void {
    if (this.draft.rows.has(resource.id)) throw new UniqueKeyViolation(`id:${resource.id}`, resource.id);
    for (const key of options.keys) {
      const holder = this.draft.keyIndex.get(key);
      if (holder !== undefined) throw new UniqueKeyViolation(key, holder);
    }
    this.draft.seq += 1;
    this.draft.rows.set(resource.id, {
      resource: structuredClone(resource),
      keys: [...new Set(options.keys)],
      refs: [...new Set(options.refs)],
      seq: this.draft.seq,
    });
    for (const key of options.keys) this.draft.keyIndex.set(key, resource.id);
  }

  async update(resource: Resource): Promise<void> {
    const row = this.draft.rows.get(resource.id);
    if (!row) throw new Error(`update of a missing resource ${resource.id}`);
    this.draft.rows.set(resource.id, { ...row, resource: structuredClone(resource) });
  }

  async remove(id: string): Promise<void> {
    const row = this.draft.rows.get(id);
    if (!row) return;
    this.draft.rows.delete(id);
    for (const key of row.keys) if (this.draft.keyIndex.get(key) === id) this.draft.keyIndex.delete(key);
  }

  async putPlan(record: PlanRecord): Promise<void> {
    this.draft.plans.set(record.name, structuredClone(record));
  }

  async removePlan(name: string): Promise<void> {
    this.draft.plans.delete(name);
  }
}

export class MemoryStore extends StateReader implements Store {
  private current: State = { rows: new Map(), keyIndex: new Map(), plans: new Map(), seq: 0 };
  private readonly mutex = new AsyncMutex();
  private closed = false;

  constructor() {
    super(() => this.current);
  }

  /**
   * A store holding copies of the given resources (and plan records), with the constraint keys and
   * references the control plane would have written for them — a dry run's sandbox.
   */
  static from(resources: readonly Resource[], plans: readonly PlanRecord[] = []): MemoryStore {
    const store = new MemoryStore();
    const tx = new MemoryTx(store.current);
    for (const resource of resources) {
      tx.insertNow(resource, { keys: constraintKeysOf(resource), refs: referencesOf(resource) });
    }
    for (const plan of plans) store.current.plans.set(plan.name, structuredClone(plan));
    return store;
  }

  /** A copy of everything a reader can see (`validatePlan`'s sandbox of the real store). */
  static async copyOf(reader: StoreReader): Promise<MemoryStore> {
    return MemoryStore.from(await reader.list(), await reader.listPlans());
  }

  transaction<T>(_scopes: readonly string[], fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    return this.mutex.run(async () => {
      const draft = copyState(this.current);
      const result = await fn(new MemoryTx(draft));
      this.current = draft;
      return result;
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
