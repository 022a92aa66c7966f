/**
 * SQLite persistence of executions and their history (node:sqlite, WAL).
 *
 * Two tables, prefixed `sfn_` so that the file may be shared with the resource store:
 * - `sfn_executions`: one row per execution; `seq` (AUTOINCREMENT) orders them by start, newest first in
 *   listings; `owner` is `<pid>:<instance>` of the service that runs it, so that `recover()` closes only
 *   executions whose runner is gone, never those of another live process sharing the file.
 * - `sfn_history`: the AWS history events, keyed by (execution, id); the event-specific details are kept
 *   as JSON in the shape GetExecutionHistory returns them.
 * - `sfn_validated_definitions`: digests of definitions that passed the engine's validation, so that a
 *   restart does not pay for it again (asl-validator compiles its JSON schemas on every call, ~60 ms).
 *
 * Every write is a single statement or an explicit transaction, so a crash leaves either the event and
 * the status change together or neither.
 *
 * Space: executions are pruned (`deleteClosed`, the caller's retention decides which) and the file gives
 * the space back — it is created with `auto_vacuum = INCREMENTAL` (a file from before is converted once,
 * by a VACUUM, the first time something is pruned), and each prune ends with an incremental vacuum and a
 * WAL checkpoint that truncates the log. The WAL is checkpointed every 256 pages (1 MB) and kept to 1 MB
 * between checkpoints, so the log never holds more than a few executions' worth of pages.
 */

import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import type { HistoryEvent } from '@aws-sdk/client-sfn';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export const EXECUTION_STATUSES: readonly ExecutionStatus[] = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
];

/** An execution as stored (input and output as JSON strings, as AWS returns them). */
export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  startDate: Date;
  stopDate?: Date;
  /** RedriveExecution: how many times it was redriven (0 when never) and when last. */
  redriveCount?: number;
  redriveDate?: Date;
}

export interface StoredExecution extends ExecutionRecord {
  seq: number;
  owner: string | undefined;
}

export interface ExecutionPageQuery {
  stateMachineArn?: string;
  status?: ExecutionStatus;
  /** Only rows with `seq` below this (the previous page's last). */
  beforeSeq?: number;
  limit: number;
}

export interface HistoryPageQuery {
  executionArn: string;
  reverse: boolean;
  /** Only events after this id (before it when `reverse`). */
  afterId?: number;
  limit: number;
}

/** Pages between automatic WAL checkpoints (SQLite's default is 1,000: 4 MB of log). */
const WAL_AUTOCHECKPOINT_PAGES = 256;
/** The size the WAL file is truncated to after a checkpoint. */
const JOURNAL_SIZE_LIMIT_BYTES = 1024 * 1024;

/** What a prune did: the executions and history events deleted, and the file's size before and after. */
export interface PruneResult {
  executions: number;
  events: number;
  bytesBefore: number;
  bytesAfter: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sfn_executions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  arn TEXT NOT NULL UNIQUE,
  state_machine_arn TEXT NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  input TEXT NOT NULL,
  output TEXT,
  error TEXT,
  cause TEXT,
  start_ms INTEGER NOT NULL,
  stop_ms INTEGER,
  owner TEXT
);
CREATE INDEX IF NOT EXISTS sfn_executions_by_machine ON sfn_executions (state_machine_arn, seq);
CREATE INDEX IF NOT EXISTS sfn_executions_by_status ON sfn_executions (status, seq);
CREATE TABLE IF NOT EXISTS sfn_validated_definitions (
  digest TEXT PRIMARY KEY,
  validated_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sfn_history (
  execution_arn TEXT NOT NULL,
  id INTEGER NOT NULL,
  previous_id INTEGER NOT NULL,
  type TEXT NOT NULL,
  timestamp_ms INTEGER NOT NULL,
  details TEXT NOT NULL,
  PRIMARY KEY (execution_arn, id)
) WITHOUT ROWID;
`;

type Row = Record<string, unknown>;

export class ExecutionDatabase {
  private readonly db: DatabaseSync;
  private readonly statements = new Map<string, StatementSync>();

  constructor(file: string) {
    this.db = new DatabaseSync(file);
    this.db.exec('PRAGMA busy_timeout = 5000');
    // Only a file without tables takes a new auto_vacuum mode directly (an older one: see `deleteClosed`).
    if (!this.hasTables()) this.db.exec('PRAGMA auto_vacuum = INCREMENTAL');
    if (file !== ':memory:') {
      this.db.exec('PRAGMA journal_mode = WAL');
      this.db.exec('PRAGMA synchronous = NORMAL');
      this.db.exec(`PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
      this.db.exec(`PRAGMA journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES}`);
    }
    this.db.exec(SCHEMA);
    this.addRedriveColumns();
  }

  private hasTables(): boolean {
    return (
      this.db.prepare("SELECT 1 AS hit FROM sqlite_master WHERE type = 'table' LIMIT 1").get() !== undefined
    );
  }

  /** Every execution, newest first (what a retention policy reads to choose what to prune). */
  allExecutions(): StoredExecution[] {
    return this.statement('SELECT * FROM sfn_executions ORDER BY seq DESC').all().map(executionOf);
  }

  /** How many executions are stored, and the stop time of the oldest closed one (ms), if any. */
  retentionFacts(): { count: number; oldestStopMs: number | undefined } {
    const row = this.statement(
      `SELECT COUNT(*) AS n, MIN(CASE WHEN status <> 'RUNNING' THEN stop_ms END) AS oldest FROM sfn_executions`,
    ).get();
    return {
      count: Number(row?.n ?? 0),
      oldestStopMs: typeof row?.oldest === 'number' ? row.oldest : undefined,
    };
  }

  /**
   * Deletes the given executions that are closed (never a RUNNING one, whatever the caller asked) with
   * their histories, atomically, then gives the freed pages back to the file system.
   */
  deleteClosed(executionArns: readonly string[]): PruneResult {
    const bytesBefore = this.fileBytes();
    let executions = 0;
    let events = 0;
    if (executionArns.length > 0) {
      this.transaction(() => {
        const deleteExecution = this.statement(
          `DELETE FROM sfn_executions WHERE arn = ? AND status <> 'RUNNING' RETURNING arn`,
        );
        const deleteHistory = this.statement('DELETE FROM sfn_history WHERE execution_arn = ?');
        for (const arn of executionArns) {
          if (deleteExecution.get(arn) === undefined) continue;
          executions++;
          events += Number(deleteHistory.run(arn).changes);
        }
      });
    }
    if (executions > 0) this.reclaim();
    return { executions, events, bytesBefore, bytesAfter: this.fileBytes() };
  }

  /**
   * Gives free pages back: an incremental vacuum (a file from before `auto_vacuum = INCREMENTAL` is
   * converted by one VACUUM first), then a checkpoint that truncates the WAL. Another process reading the
   * file may keep either from finishing now; the next prune tries again.
   */
  private reclaim(): void {
    try {
      const mode = Number(this.db.prepare('PRAGMA auto_vacuum').get()?.auto_vacuum ?? 0);
      if (mode !== 2) {
        this.db.exec('PRAGMA auto_vacuum = INCREMENTAL');
        this.db.exec('VACUUM');
      } else this.db.exec('PRAGMA incremental_vacuum');
      this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    } catch {
      // SQLITE_BUSY under another process's read: the space is reused meanwhile, and given back next time.
    }
  }

  /** The database's size on disk: its pages (the WAL is bounded apart). */
  private fileBytes(): number {
    const row = this.db
      .prepare('SELECT page_count * page_size AS bytes FROM pragma_page_count(), pragma_page_size()')
      .get();
    return Number(row?.bytes ?? 0);
  }

  /** Files written before RedriveExecution existed lack its two columns. */
  private addRedriveColumns(): void {
    const columns = new Set(
      this.db
        .prepare('PRAGMA table_info(sfn_executions)')
        .all()
        .map((row) => String(row.name)),
    );
    if (!columns.has('redrive_count'))
      this.db.exec('ALTER TABLE sfn_executions ADD COLUMN redrive_count INTEGER NOT NULL DEFAULT 0');
    if (!columns.has('redrive_ms')) this.db.exec('ALTER TABLE sfn_executions ADD COLUMN redrive_ms INTEGER');
  }

  /**
   * RedriveExecution: a closed execution becomes RUNNING again (owned by `owner`), with its redrive count
   * and date, and `event` (ExecutionRedriven) appended, atomically. False when it was not closed any more.
   */
  reopenExecution(
    executionArn: string,
    owner: string,
    redrive: { count: number; date: Date },
    event: HistoryEvent,
  ): boolean {
    let changed = false;
    this.transaction(() => {
      const result = this.statement(
        `UPDATE sfn_executions SET status = 'RUNNING', output = NULL, error = NULL, cause = NULL, stop_ms = NULL,
           owner = ?, redrive_count = ?, redrive_ms = ? WHERE arn = ? AND status <> 'RUNNING'`,
      ).run(owner, redrive.count, redrive.date.getTime(), executionArn);
      changed = Number(result.changes) === 1;
      if (changed) this.insertEvent(executionArn, event);
    });
    return changed;
  }

  /** The number of events in an execution's history. */
  historyLength(executionArn: string): number {
    const row = this.statement('SELECT COUNT(*) AS n FROM sfn_history WHERE execution_arn = ?').get(
      executionArn,
    );
    return Number(row?.n ?? 0);
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  /** Inserts a new RUNNING execution together with its first history event. */
  insertExecution(record: ExecutionRecord, owner: string, first: HistoryEvent): void {
    this.transaction(() => {
      this.run(
        `INSERT INTO sfn_executions (arn, state_machine_arn, name, status, input, start_ms, owner)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        record.executionArn,
        record.stateMachineArn,
        record.name,
        record.status,
        record.input,
        record.startDate.getTime(),
        owner,
      );
      this.insertEvent(record.executionArn, first);
    });
  }

  /** Closes an execution and appends its closing event, atomically. */
  closeExecution(record: ExecutionRecord, last: HistoryEvent): void {
    this.transaction(() => {
      this.run(
        `UPDATE sfn_executions SET status = ?, output = ?, error = ?, cause = ?, stop_ms = ?, owner = NULL
         WHERE arn = ?`,
        record.status,
        record.output ?? null,
        record.error ?? null,
        record.cause ?? null,
        record.stopDate?.getTime() ?? null,
        record.executionArn,
      );
      this.insertEvent(record.executionArn, last);
    });
  }

  appendEvent(executionArn: string, event: HistoryEvent): void {
    this.insertEvent(executionArn, event);
  }

  isValidated(digest: string): boolean {
    return (
      this.statement('SELECT 1 AS hit FROM sfn_validated_definitions WHERE digest = ?').get(digest) !==
      undefined
    );
  }

  markValidated(digest: string, at: number): void {
    this.run(
      'INSERT OR IGNORE INTO sfn_validated_definitions (digest, validated_ms) VALUES (?, ?)',
      digest,
      at,
    );
  }

  getExecution(arn: string): StoredExecution | undefined {
    const row = this.statement('SELECT * FROM sfn_executions WHERE arn = ?').get(arn);
    return row === undefined ? undefined : executionOf(row);
  }

  listExecutions(query: ExecutionPageQuery): StoredExecution[] {
    const where: string[] = [];
    const params: SQLInputValue[] = [];
    if (query.stateMachineArn !== undefined) {
      where.push('state_machine_arn = ?');
      params.push(query.stateMachineArn);
    }
    if (query.status !== undefined) {
      where.push('status = ?');
      params.push(query.status);
    }
    if (query.beforeSeq !== undefined) {
      where.push('seq < ?');
      params.push(query.beforeSeq);
    }
    const sql = `SELECT * FROM sfn_executions ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY seq DESC LIMIT ?`;
    return this.statement(sql)
      .all(...params, query.limit)
      .map(executionOf);
  }

  runningExecutions(): StoredExecution[] {
    return this.statement(`SELECT * FROM sfn_executions WHERE status = 'RUNNING' ORDER BY seq`)
      .all()
      .map(executionOf);
  }

  history(query: HistoryPageQuery): HistoryEvent[] {
    const order = query.reverse ? 'DESC' : 'ASC';
    const bound = query.afterId === undefined ? '' : query.reverse ? 'AND id < ?' : 'AND id > ?';
    const params: SQLInputValue[] = [query.executionArn];
    if (query.afterId !== undefined) params.push(query.afterId);
    return this.statement(
      `SELECT * FROM sfn_history WHERE execution_arn = ? ${bound} ORDER BY id ${order} LIMIT ?`,
    )
      .all(...params, query.limit)
      .map(eventOf);
  }

  lastEventId(executionArn: string): number {
    const row = this.statement('SELECT MAX(id) AS id FROM sfn_history WHERE execution_arn = ?').get(
      executionArn,
    );
    return typeof row?.id === 'number' ? row.id : 0;
  }

  private insertEvent(executionArn: string, event: HistoryEvent): void {
    const { id, previousEventId, type, timestamp, ...details } = event;
    this.run(
      `INSERT INTO sfn_history (execution_arn, id, previous_id, type, timestamp_ms, details)
       VALUES (?, ?, ?, ?, ?, ?)`,
      executionArn,
      id ?? 0,
      previousEventId ?? 0,
      type ?? '',
      timestamp?.getTime() ?? 0,
      JSON.stringify(details),
    );
  }

  private transaction(fn: () => void): void {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      fn();
      this.db.exec('COMMIT');
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }

  private run(sql: string, ...params: SQLInputValue[]): void {
    this.statement(sql).run(...params);
  }

  private statement(sql: string): StatementSync {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

function executionOf(row: Row): StoredExecution {
  const status = text(row.status);
  if (!(EXECUTION_STATUSES as readonly string[]).includes(status)) {
    throw new Error(`sfn_executions row ${String(row.arn)} has an unknown status ${JSON.stringify(status)}`);
  }
  const record: StoredExecution = {
    seq: Number(row.seq),
    owner: optionalText(row.owner),
    executionArn: text(row.arn),
    stateMachineArn: text(row.state_machine_arn),
    name: text(row.name),
    status: status as ExecutionStatus,
    input: text(row.input),
    startDate: new Date(Number(row.start_ms)),
  };
  const output = optionalText(row.output);
  const error = optionalText(row.error);
  const cause = optionalText(row.cause);
  if (output !== undefined) record.output = output;
  if (error !== undefined) record.error = error;
  if (cause !== undefined) record.cause = cause;
  if (row.stop_ms !== null && row.stop_ms !== undefined) record.stopDate = new Date(Number(row.stop_ms));
  const redriveCount = Number(row.redrive_count ?? 0);
  if (redriveCount > 0) record.redriveCount = redriveCount;
  if (row.redrive_ms !== null && row.redrive_ms !== undefined)
    record.redriveDate = new Date(Number(row.redrive_ms));
  return record;
}

function eventOf(row: Row): HistoryEvent {
  const details: unknown = JSON.parse(text(row.details));
  return {
    timestamp: new Date(Number(row.timestamp_ms)),
    type: text(row.type) as HistoryEvent['type'],
    id: Number(row.id),
    previousEventId: Number(row.previous_id),
    ...(typeof details === 'object' && details !== null ? details : {}),
  };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : String(value);
}

function optionalText(value: unknown): string | undefined {
  return value === null || value === undefined ? undefined : text(value);
}
