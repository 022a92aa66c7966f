/**
 * Live updates for the views: one server-sent event stream per tab (`/console/api/live`, read with
 * `fetch` so a token-protected stack gets its `x-natflow-token` header), shared by every view that
 * watches. A view says what it shows (`accepts`) and how to reload it (`refresh`); it reloads when a
 * matching message arrives, never on a timer while the stream is up — an idle tab makes no request.
 *
 * Fallback: while the stream is down (an older stack, a proxy that buffers, a network error) each view
 * polls at its own interval, and the stream is retried with backoff (2 s doubling to 30 s). The header's
 * indicator (`#live-status`) says which of the two is happening.
 */
import type { Cleanup } from './ui.ts';

export interface LiveMessage {
  topic: 'history' | 'executions' | 'topology';
  executionArn?: string;
  id?: number;
  type?: string;
}

type Listener = (message: LiveMessage) => void;
type StateListener = (connected: boolean) => void;

const listeners = new Set<Listener>();
const stateListeners = new Set<StateListener>();
let connected = false;
let connecting = false;
let retryMs = 2000;
let retryTimer: ReturnType<typeof setTimeout> | undefined;

function setConnected(value: boolean): void {
  if (connected === value) return;
  connected = value;
  for (const listener of stateListeners) listener(value);
  renderIndicator();
}

function renderIndicator(): void {
  const indicator = document.getElementById('live-status');
  if (!indicator) return;
  indicator.dataset.state = connected ? 'live' : 'polling';
  indicator.textContent = connected ? 'live' : 'polling';
  indicator.title = connected
    ? 'Updates arrive as they happen (server-sent events)'
    : 'The live stream is down: views refresh on a timer until it is back';
}

function dispatch(event: string, data: string): void {
  if (event !== 'history' && event !== 'executions' && event !== 'topology') return;
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(data) as Record<string, unknown>;
  } catch {
    return;
  }
  const message: LiveMessage = { topic: event };
  if (typeof body.executionArn === 'string') message.executionArn = body.executionArn;
  if (typeof body.id === 'number') message.id = body.id;
  if (typeof body.type === 'string') message.type = body.type;
  for (const listener of listeners) listener(message);
}

async function connect(): Promise<void> {
  if (connecting || connected) return;
  connecting = true;
  try {
    let token: string | null = null;
    try {
      token = localStorage.getItem('natflow.token');
    } catch {
      token = null;
    }
    const response = await fetch('/console/api/live', {
      headers: { Accept: 'text/event-stream', ...(token ? { 'x-natflow-token': token } : {}) },
    });
    if (!response.ok || !response.body) throw new Error(`live stream: HTTP ${response.status}`);
    setConnected(true);
    retryMs = 2000;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of frame.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
        }
        if (data.length > 0) dispatch(event, data.join('\n'));
        end = buffer.indexOf('\n\n');
      }
    }
  } catch {
    // Down: the views poll meanwhile.
  } finally {
    connecting = false;
    setConnected(false);
    if (listeners.size > 0) {
      clearTimeout(retryTimer);
      retryTimer = setTimeout(() => void connect(), retryMs);
      retryMs = Math.min(retryMs * 2, 30_000);
    }
  }
}

/**
 * Runs `refresh` now, then again whenever a message `accepts` arrives; polls every `fallbackMs` only
 * while the live stream is down. Refreshes never overlap: one asked for during a refresh runs after it.
 */
export function watch(
  refresh: () => Promise<unknown>,
  accepts: (message: LiveMessage) => boolean,
  fallbackMs: number | (() => number),
): Cleanup {
  let stopped = false;
  let running = false;
  let again = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const schedulePoll = () => {
    clearTimeout(timer);
    const every = typeof fallbackMs === 'number' ? fallbackMs : fallbackMs();
    if (!stopped && !connected) timer = setTimeout(() => void run(), every);
  };
  const run = async () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      await refresh();
    } catch {
      // The view shows its own errors.
    } finally {
      running = false;
    }
    if (again) {
      again = false;
      void run();
      return;
    }
    schedulePoll();
  };
  const listener: Listener = (message) => {
    if (accepts(message)) void run();
  };
  const onState: StateListener = (isConnected) => {
    // Back from polling: catch up once; gone: start polling.
    if (isConnected) void run();
    else schedulePoll();
  };
  listeners.add(listener);
  stateListeners.add(onState);
  void run();
  void connect();
  renderIndicator();
  return () => {
    stopped = true;
    clearTimeout(timer);
    listeners.delete(listener);
    stateListeners.delete(onState);
  };
}

/** Whether the live stream is up (tests and the indicator). */
export function isLive(): boolean {
  return connected;
}
