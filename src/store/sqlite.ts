/**
 * The SQLite adapter of the store port (`node:sqlite`), what the CLI and the local runtime use.
 *
 * Schema: `resources` holds each resource as JSON with its type, plan, execution and creation time in
 * indexed columns; `resource_keys` maps each constraint key (PRIMARY KEY, so unique) to its holder;
 * `resource_refs` records what each resource references (indexed by the referenced id); `plans` keeps
 * plan documents.
 *
 * Concurrency: a transaction takes an in-process async mutex (one connection cannot nest transactions)
 * and then `BEGIN IMMEDIATE`, which takes SQLite's write lock at once — so two processes on one file
 * serialise whole control-plane calls, and rules that are not keys (quotas, port types) hold across
 * processes. `busy_timeout` makes a second writer wait for the lock instead of failing. WAL lets readers
 * run beside the writer. The unique key index is the last line of defence for the rules that are keys.
 */
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { AsyncMutex } from '../cloud/memory-store.ts';
import { type Resource, ResourceSchema } from '../cloud/resources.ts';
import {
  type InsertOptions,
  type PlanRecord,
  type ResourceQuery,
  type Store,
  type StoreReader,
  type StoreTx,
  UniqueKeyViolation,
} from '../cloud/store.ts';
import { preparePrivateFile } from './data-dir.ts';

/** How long a writer waits for another process's transaction before giving up (ms). */
const BUSY_TIMEOUT_MS = 15_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS resources (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  plan TEXT,
  execution TEXT,
  created_at TEXT NOT NULL,
  body TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS resources_by_type ON resources (type, created_at, id);
CREATE INDEX IF NOT EXISTS resources_by_plan ON resources (plan, created_at, id);
CREATE INDEX IF NOT EXISTS resources_by_execution ON resources (execution, created_at, id);
CREATE INDEX IF NOT EXISTS resources_by_creation ON resources (created_at, id);
CREATE TABLE IF NOT EXISTS resource_keys (
  key TEXT PRIMARY KEY,
  id TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS resource_keys_by_id ON resource_keys (id);
CREATE TABLE IF NOT EXISTS resource_refs (
  id TEXT NOT NULL,
  ref TEXT NOT NULL,
  PRIMARY KEY (id, ref)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS resource_refs_by_ref ON resource_refs (ref, id);
CREATE TABLE IF NOT EXISTS plans (
  name TEXT PRIMARY KEY,
  document TEXT NOT NULL,
  execution TEXT,
  updated_at TEXT NOT NULL
) WITHOUT ROWID;
`;

type Row = Record<string, unknown>;

function parseResource(row: Row | undefined): Resource | undefined {
  if (!row) return undefined;
  return ResourceSchema.parse(JSON.parse(String(row.body)));
}

function parsePlan(row: Row | undefined): PlanRecord | undefined {
  if (!row) return undefined;
  return {
    name: String(row.name),
    document: JSON.parse(String(row.document)) as unknown,
    execution: row.execution === null ? null : String(row.execution),
    updatedAt: String(row.updated_at),
  };
}

/** Prepared statements of one connection. */
class Statements {
  readonly get: StatementSync;
  readonly byKey: StatementSync;
  readonly keyHolder: StatementSync;
  readonly referrers: StatementSync;
  readonly getPlan: StatementSync;
  readonly listPlans: StatementSync;
  readonly insert: StatementSync;
  readonly insertKey: StatementSync;
  readonly insertRef: StatementSync;
  readonly update: StatementSync;
  readonly remove: StatementSync;
  readonly removeKeys: StatementSync;
  readonly removeRefs: StatementSync;
  readonly putPlan: StatementSync;
  readonly removePlan: StatementSync;
  private readonly db: DatabaseSync;
  private readonly lists = new Map<string, StatementSync>();

  constructor(db: DatabaseSync) {
    this.db = db;
    this.get = db.prepare('SELECT body FROM resources WHERE id = ?');
    this.byKey = db.prepare(
      'SELECT r.body FROM resource_keys k JOIN resources r ON r.id = k.id WHERE k.key = ?',
    );
    this.keyHolder = db.prepare('SELECT id FROM resource_keys WHERE key = ?');
    this.referrers = db.prepare(
      'SELECT r.body FROM resource_refs f JOIN resources r ON r.id = f.id WHERE f.ref = ? ORDER BY r.created_at, r.id',
    );
    this.getPlan = db.prepare('SELECT * FROM plans WHERE name = ?');
    this.listPlans = db.prepare('SELECT * FROM plans ORDER BY name');
    this.insert = db.prepare(
      'INSERT INTO resources (id, type, plan, execution, created_at, body) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.insertKey = db.prepare('INSERT INTO resource_keys (key, id) VALUES (?, ?)');
    this.insertRef = db.prepare('INSERT OR IGNORE INTO resource_refs (id, ref) VALUES (?, ?)');
    this.update = db.prepare(
      'UPDATE resources SET type = ?, plan = ?, execution = ?, created_at = ?, body = ? WHERE id = ?',
    );
    this.remove = db.prepare('DELETE FROM resources WHERE id = ?');
    this.removeKeys = db.prepare('DELETE FROM resource_keys WHERE id = ?');
    this.removeRefs = db.prepare('DELETE FROM resource_refs WHERE id = ?');
    this.putPlan = db.prepare(
      'INSERT INTO plans (name, document, execution, updated_at) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT (name) DO UPDATE SET document = excluded.document, execution = excluded.execution, updated_at = excluded.updated_at',
    );
    this.removePlan = db.prepare('DELETE FROM plans WHERE name = ?');
  }

  list(query: ResourceQuery): StatementSync {
    const fields = (['type', 'plan', 'execution'] as const).filter((f) => query[f] !== undefined);
    const cacheKey = fields.join(',');
    let statement = this.lists.get(cacheKey);
    if (!statement) {
      const where = fields.length > 0 ? ` WHERE ${fields.map((f) => `${f} = ?`).join(' AND ')}` : '';
      statement = this.db.prepare(`SELECT body FROM resources${where} ORDER BY created_at, id`);
      this.lists.set(cacheKey, statement);
    }
    return statement;
  }

  listArgs(query: ResourceQuery): string[] {
    return (['type', 'plan', 'execution'] as const)
      .map((f) => query[f])
      .filter((v): v is NonNullable<typeof v> => v !== undefined);
  }
}

class SqliteReader implements StoreReader {
  protected readonly sql: Statements;

  constructor(sql: Statements) {
    this.sql = sql;
  }

  async get(id: string): Promise<Resource | undefined> {
    return parseResource(this.sql.get.get(id) as Row | undefined);
  }

  async list(query: ResourceQuery = {}): Promise<Resource[]> {
    const rows = this.sql.list(query).all(...this.sql.listArgs(query)) as Row[];
    return rows.map((row) => parseResource(row) as Resource);
  }

  async getByKey(key: string): Promise<Resource | undefined> {
    return parseResource(this.sql.byKey.get(key) as Row | undefined);
  }

  async referrers(id: string): Promise<Resource[]> {
    return (this.sql.referrers.all(id) as Row[]).map((row) => parseResource(row) as Resource);
  }

  async getPlan(name: string): Promise<PlanRecord | undefined> {
    return parsePlan(this.sql.getPlan.get(name) as Row | undefined);
  }

  async listPlans(): Promise<PlanRecord[]> {
    return (this.sql.listPlans.all() as Row[]).map((row) => parsePlan(row) as PlanRecord);
  }
}

class SqliteTx extends SqliteReader implements StoreTx {
  private readonly db: DatabaseSync;

  constructor(db: DatabaseSync, sql: Statements) {
    super(sql);
    this.db = db;
  }

  async insert(resource: Resource, options: InsertOptions): Promise<void> {
    const uniqueKeys = [...new Set(options.keys)];
    // Check first so the loser's error names the holder and nothing of it is written.
    for (const key of uniqueKeys) {
      const holder = this.sql.keyHolder.get(key) as Row | undefined;
      if (holder) throw new UniqueKeyViolation(key, String(holder.id));
    }
    this.db.exec('SAVEPOINT natflow_insert');
    try {
      this.sql.insert.run(
        resource.id,
        resource.type,
        resource.plan,
        resource.execution,
        resource.createdAt,
        JSON.stringify(resource),
      );
      for (const key of uniqueKeys) this.sql.insertKey.run(key, resource.id);
      for (const ref of options.refs) this.sql.insertRef.run(resource.id, ref);
      this.db.exec('RELEASE natflow_insert');
    } catch (error) {
      this.db.exec('ROLLBACK TO natflow_insert');
      this.db.exec('RELEASE natflow_insert');
      if (isConstraintError(error)) {
        throw new UniqueKeyViolation(uniqueKeys.join(', ') || `id:${resource.id}`);
      }
      throw error;
    }
  }

  async update(resource: Resource): Promise<void> {
    const result = this.sql.update.run(
      resource.type,
      resource.plan,
      resource.execution,
      resource.createdAt,
      JSON.stringify(resource),
      resource.id,
    );
    if (Number(result.changes) === 0) throw new Error(`update of a missing resource ${resource.id}`);
  }

  async remove(id: string): Promise<void> {
    this.sql.removeKeys.run(id);
    this.sql.removeRefs.run(id);
    this.sql.remove.run(id);
  }

  async putPlan(record: PlanRecord): Promise<void> {
    this.sql.putPlan.run(
      record.name,
      JSON.stringify(record.document ?? null),
      record.execution,
      record.updatedAt,
    );
  }

  async removePlan(name: string): Promise<void> {
    this.sql.removePlan.run(name);
  }
}

function isConstraintError(error: unknown): boolean {
  return (
    error instanceof Error &&
    ((error as { code?: unknown }).code === 'ERR_SQLITE_ERROR' || /constraint/i.test(error.message)) &&
    /UNIQUE|PRIMARY KEY|constraint/i.test(error.message)
  );
}

class SqliteStore extends SqliteReader implements Store {
  private readonly db: DatabaseSync;
  private readonly tx: SqliteTx;
  private readonly mutex = new AsyncMutex();
  private closed = false;

  constructor(db: DatabaseSync) {
    const sql = new Statements(db);
    super(sql);
    this.db = db;
    this.tx = new SqliteTx(db, sql);
  }

  transaction<T>(_scopes: readonly string[], fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    // One write lock for the whole file: scopes are not needed for correctness here.
    return this.mutex.run(async () => {
      if (this.closed) throw new Error('the store is closed');
      this.db.exec('BEGIN IMMEDIATE');
      let result: T;
      try {
        result = await fn(this.tx);
      } catch (error) {
        this.db.exec('ROLLBACK');
        throw error;
      }
      this.db.exec('COMMIT');
      return result;
    });
  }

  async close(): Promise<void> {
    await this.mutex.run(async () => {
      if (this.closed) return;
      this.closed = true;
      this.db.close();
    });
  }
}

/**
 * Opens (creating when missing, with its directory) a SQLite store. `':memory:'` gives a private
 * in-memory database.
 *
 * @example const store = openSqliteStore('.natflow/natflow.sqlite')
 */
export function openSqliteStore(file: string): Store {
  // 0600 in a 0700 directory before SQLite opens it: its WAL and shared-memory files take that mode too.
  if (file !== ':memory:') preparePrivateFile(file);
  const db = new DatabaseSync(file, { timeout: BUSY_TIMEOUT_MS });
  db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  if (file !== ':memory:') db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA foreign_keys = OFF');
  // Two processes opening a new file at once both create the schema: serialise that too.
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(SCHEMA);
    db.exec('COMMIT');
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
  return new SqliteStore(db);
}
