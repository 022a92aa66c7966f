/**
 * The files of a natflow data directory (`.natflow/` by default, `--data-dir`, `NATFLOW_DATA_DIR`), in
 * one place: the store, the local Step Functions history, and the record of a running stack.
 *
 * They are private to the user who runs natflow: the directory is 0700 and every file in it 0600 (the
 * store and the history hold every plan, and `stack.json` says where a stack listens). A directory or
 * file found looser (made by an older natflow, or by hand) is tightened when natflow opens it, and the
 * caller is told so. SQLite's WAL and shared-memory files take the mode of their database file, so
 * creating the database 0600 before SQLite opens it covers them too.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const DEFAULT_DATA_DIR = '.natflow';

export const DATA_FILES = {
  /** The resource store (SQLite, WAL): shared by the stack and every CLI command. */
  store: 'natflow.sqlite',
  /** The local Step Functions service's executions and their histories. */
  executions: 'executions.sqlite',
  /** A running stack's URL, pid, instance id and data-plane map (present while it runs). */
  stack: 'stack.json',
} as const;

export type DataFile = keyof typeof DATA_FILES;

/** The mode of a data directory and of its files. */
export const DATA_DIR_MODE = 0o700;
export const DATA_FILE_MODE = 0o600;

/** The path of one of a data directory's files. */
export function dataFile(dataDir: string, file: DataFile): string {
  return join(dataDir, DATA_FILES[file]);
}

/** A directory or file natflow found with a looser mode and tightened. */
export interface Tightened {
  path: string;
  /** The mode it had (`0o755`). */
  from: number;
  to: number;
}

/**
 * Creates the data directory 0700 (its parents as `mkdir -p` would), or tightens an existing one to
 * 0700, with the files natflow keeps there (and their `-wal`/`-shm` companions) to 0600. Returns what it
 * tightened, so that the caller can say so.
 */
export function preparePrivateDir(dataDir: string): Tightened[] {
  const tightened: Tightened[] = [];
  if (!existsSync(dataDir)) {
    mkdirSync(dataDir, { recursive: true, mode: DATA_DIR_MODE });
    // mkdir's mode passes through the umask; say it once more, exactly.
    chmodSync(dataDir, DATA_DIR_MODE);
    return tightened;
  }
  tighten(dataDir, DATA_DIR_MODE, tightened);
  for (const name of Object.values(DATA_FILES)) {
    for (const suffix of ['', '-wal', '-shm']) {
      const file = join(dataDir, `${name}${suffix}`);
      if (existsSync(file)) tighten(file, DATA_FILE_MODE, tightened);
    }
  }
  return tightened;
}

/**
 * Makes sure `file` exists with mode 0600 before SQLite (or anyone) opens it: created empty when
 * missing (an empty file is an empty SQLite database), tightened when looser. Its directory is created
 * 0700 when missing. Returns what it tightened.
 */
export function preparePrivateFile(file: string): Tightened[] {
  const tightened: Tightened[] = [];
  const dir = dirname(file);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: DATA_DIR_MODE });
    chmodSync(dir, DATA_DIR_MODE);
  }
  if (!existsSync(file)) {
    closeSync(openSync(file, 'a', DATA_FILE_MODE));
    chmodSync(file, DATA_FILE_MODE);
    return tightened;
  }
  for (const suffix of ['', '-wal', '-shm']) {
    const path = `${file}${suffix}`;
    if (existsSync(path)) tighten(path, DATA_FILE_MODE, tightened);
  }
  return tightened;
}

/** One line for people: `tightened .natflow to 0700 (was 0755)`. */
export function describeTightened(entry: Tightened): string {
  return `tightened ${entry.path} to ${octal(entry.to)} (was ${octal(entry.from)}): natflow's data is private to its user`;
}

function tighten(path: string, mode: number, tightened: Tightened[]): void {
  let current: number;
  try {
    current = statSync(path).mode & 0o777;
  } catch {
    return; // gone meanwhile
  }
  // Looser: any permission bit the wanted mode does not have (group or others).
  if ((current & ~mode) === 0) return;
  chmodSync(path, mode);
  tightened.push({ path, from: current, to: mode });
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}
