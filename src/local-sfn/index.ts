/**
 * The local Step Functions engine, as the composition root (src/stack) and the CLI use it: a service
 * that runs ASL definitions in-process and keeps AWS's execution model in SQLite (`SfnService`), and its
 * AWS JSON protocol face (`createSfnHandler` to mount on a server, `startSfnServer` for a server of its
 * own). Everything else in this folder — the runner, the history recorder, the definition rewriting, the
 * database — is how it works, not what it offers.
 */
export type { HistoryListener, SfnServiceOptions, StateMachineSpec, TaskHandler } from './options.ts';
export type { ExecutionRecord, ExecutionStatus, PruneResult } from './persistence.ts';
export { createSfnHandler, startSfnServer } from './server.ts';
export { SfnService } from './service.ts';
