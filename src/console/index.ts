/**
 * The local console, a component of its own: a web app under `/console` that speaks only HTTP and
 * server-sent events. Its pages and JSON routes are `handler.ts`, its live feed `live.ts`; the browser
 * modules (`assets/`) call the natflow HTTP API on the same origin like any other client.
 *
 * It imports no part of the stack: what it shows of the stack comes in as options — the state machines
 * to draw, and the execution history its live feed relays (a `HistorySource`, the port it declares).
 *
 * @example
 *   const console = createConsole({ stateMachines: () => machines, history: { subscribe: (l) => sfn.subscribe(l) } });
 *   createServer((req, res) => { if (!console.handle(req, res)) notFound(res); });
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ConsoleStateMachine, createConsoleHandler } from './handler.ts';
import { createLiveFeed, type HistorySource } from './live.ts';

export type { ConsoleStateMachine } from './handler.ts';
export type { HistoryChange, HistorySource } from './live.ts';

export interface ConsoleOptions {
  /** The state machines of the stack serving the console (the kept variant included), to draw. */
  stateMachines: () => readonly ConsoleStateMachine[];
  /** The execution history `GET /console/api/live` relays; without it, that route is not served. */
  history?: HistorySource | undefined;
  /** The folder of example plans (default: the project's `examples/`). */
  examplesDir?: string | undefined;
}

export interface Console {
  /** Serves a request under `/console` (true), or declines any other (false). */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Ends the open live streams and stops listening to the history. */
  close(): void;
}

export function createConsole(options: ConsoleOptions): Console {
  const pages = createConsoleHandler({
    stateMachines: options.stateMachines,
    ...(options.examplesDir !== undefined ? { examplesDir: options.examplesDir } : {}),
  });
  const live = options.history ? createLiveFeed({ history: options.history }) : undefined;
  return {
    handle: (req, res) => live?.handle(req, res) === true || pages(req, res),
    close: () => live?.close(),
  };
}
