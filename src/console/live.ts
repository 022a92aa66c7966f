/**
 * `GET /console/api/live`: the console's live updates as server-sent events, so an open tab makes no
 * request while nothing changes (it polled every second before).
 *
 * One stream carries three kinds of message, each a small JSON `data:` line the page filters itself:
 * - `history` `{executionArn, id, type}` — every history event of every execution, as the Step Functions
 *   service records it (the detail view of that execution reloads its history);
 * - `executions` `{executionArn, type}` — an execution started, closed or was redriven (the list reloads);
 * - `topology` `{}` — resources may have changed: a Task succeeded (steps create, rollbacks delete) or an
 *   execution closed; coalesced over 150 ms, since a provisioning's Parallel branches finish together.
 *
 * Messages are coalesced: those of 50 ms go to each stream in one write, so that the cost of a
 * provisioning's hundred-odd history events does not grow with the streams open times the messages
 * (a few writes a stream per provisioning, not hundreds; the stack caps the streams too,
 * docs/http-api.md#caps). 50 ms is below what a person sees as a delay. A comment line every 20 s keeps proxies and the
 * browser from closing an idle stream. The stream works
 * with `fetch` as well as `EventSource`, so a token-protected stack's page sends its `x-natflow-token`
 * header on it like on every other call (the HTTP server checks it before this handler runs).
 *
 * The feed's source is the port below, `HistorySource`: whoever serves the console (the local stack)
 * hands in its Step Functions service's `subscribe`, so the console knows no engine.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** One history event of one execution, as a Step Functions service records it (the fields read here). */
export interface HistoryChange {
  executionArn: string;
  event: { id?: number | undefined; type?: string | undefined };
}

/** What the live feed relays: every history event of every execution, in order per execution. */
export interface HistorySource {
  /** Calls `listener` with each new history event; returns the unsubscribe function. */
  subscribe(listener: (change: HistoryChange) => void): () => void;
}

const EXECUTION_CHANGES = new Set([
  'ExecutionStarted',
  'ExecutionSucceeded',
  'ExecutionFailed',
  'ExecutionAborted',
  'ExecutionTimedOut',
  'ExecutionRedriven',
]);
const TOPOLOGY_CHANGES = new Set([
  'LambdaFunctionSucceeded',
  'TaskSucceeded',
  'ExecutionSucceeded',
  'ExecutionFailed',
  'ExecutionAborted',
  'ExecutionTimedOut',
]);

export interface LiveFeedOptions {
  history: HistorySource;
  heartbeatMs?: number;
  topologyDebounceMs?: number;
  /** How long messages gather before they are written to the streams (default 50 ms). */
  flushMs?: number;
}

export interface LiveFeed {
  /** Serves `GET /console/api/live`; false for any other request. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Tells every open page that `topic` changed (a change the history does not show). */
  notify(topic: 'executions' | 'topology'): void;
  /** Number of open streams. */
  clients(): number;
  close(): void;
}

export const LIVE_PATH = '/console/api/live';

export function createLiveFeed(options: LiveFeedOptions): LiveFeed {
  const heartbeatMs = options.heartbeatMs ?? 20_000;
  const debounceMs = options.topologyDebounceMs ?? 150;
  const flushMs = options.flushMs ?? 50;
  const streams = new Set<ServerResponse>();
  let topologyTimer: NodeJS.Timeout | undefined;
  let heartbeat: NodeJS.Timeout | undefined;

  // Frames waiting for the next flush, written to every stream at once.
  let pending = '';
  let flushing: NodeJS.Timeout | undefined;
  const flush = () => {
    flushing = undefined;
    const frames = pending;
    pending = '';
    if (frames !== '') for (const res of streams) res.write(frames);
  };
  const send = (event: string, data: unknown) => {
    if (streams.size === 0) return;
    pending += `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    if (flushing === undefined) {
      flushing = setTimeout(flush, flushMs);
      flushing.unref();
    }
  };
  const topologyChanged = () => {
    if (topologyTimer !== undefined) return;
    topologyTimer = setTimeout(() => {
      topologyTimer = undefined;
      send('topology', {});
    }, debounceMs);
    topologyTimer.unref();
  };

  const unsubscribe = options.history.subscribe(({ executionArn, event }) => {
    if (streams.size === 0) return;
    const type = event.type ?? '';
    send('history', { executionArn, id: event.id, type });
    if (EXECUTION_CHANGES.has(type)) send('executions', { executionArn, type });
    if (TOPOLOGY_CHANGES.has(type)) topologyChanged();
  });

  return {
    handle(req, res) {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (path !== LIVE_PATH) return false;
      if (req.method !== 'GET') {
        res.writeHead(405, { Allow: 'GET', 'Content-Type': 'text/plain' }).end('GET only');
        return true;
      }
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
        Connection: 'keep-alive',
      });
      // The retry hint: how long an EventSource waits before it reconnects.
      res.write('retry: 2000\n: natflow live\n\n');
      streams.add(res);
      if (heartbeat === undefined) {
        heartbeat = setInterval(() => {
          for (const stream of streams) stream.write(': keep-alive\n\n');
        }, heartbeatMs);
        heartbeat.unref();
      }
      const forget = () => {
        streams.delete(res);
        if (streams.size === 0 && heartbeat !== undefined) {
          clearInterval(heartbeat);
          heartbeat = undefined;
        }
      };
      req.on('close', forget);
      res.on('close', forget);
      return true;
    },
    notify(topic) {
      if (topic === 'topology') topologyChanged();
      else send('executions', {});
    },
    clients: () => streams.size,
    close() {
      unsubscribe();
      if (flushing !== undefined) {
        clearTimeout(flushing);
        flush();
      }
      if (topologyTimer !== undefined) clearTimeout(topologyTimer);
      if (heartbeat !== undefined) clearInterval(heartbeat);
      for (const res of streams) res.end();
      streams.clear();
    },
  };
}
