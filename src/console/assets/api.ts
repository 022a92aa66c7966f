/**
 * The console's client of the natflow HTTP API (same origin). Every failure becomes an `ApiError` that
 * carries the problem document, so views show what the API said, paths included, instead of swallowing it.
 */

export interface Issue {
  path: string;
  code: string;
  message: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  code?: string;
  errors?: Issue[];
}

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${problem.status}`);
    this.name = problem.code ?? 'API_ERROR';
    this.status = problem.status;
    this.problem = problem;
  }
}

const TOKEN_KEY = 'natflow.token';

/** The stack's NATFLOW_TOKEN as this browser was told it (none when the stack has no token). */
function storedToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

/**
 * `natflow up` prints the console's address with the stack's token in its fragment (`/console#token=…`),
 * which the browser never sends: the page keeps the token as if it had been typed, and clears it from the
 * address bar (and from the history) before the views read the hash.
 */
function tokenFromAddress(): void {
  try {
    const match = /^#token=([^&/]+)$/.exec(globalThis.location?.hash ?? '');
    if (!match) return;
    localStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1] as string));
    history.replaceState(null, '', `${location.pathname}${location.search}`);
  } catch {
    // No storage (a private window): the page asks for the token on its first 401, as before.
  }
}
tokenFromAddress();

/** Asks the person for the token once the stack answers 401; true when one was given. */
function askForToken(): boolean {
  const token = globalThis.prompt?.('This natflow stack is protected by NATFLOW_TOKEN. Token:');
  if (!token) return false;
  localStorage.setItem(TOKEN_KEY, token.trim());
  return true;
}

/** Fetches JSON from the API; throws `ApiError` with the problem document on any failure. */
export async function api<T>(path: string, init: RequestInit = {}, retried = false): Promise<T> {
  let response: Response;
  const token = storedToken();
  try {
    response = await fetch(path, {
      ...init,
      headers: {
        Accept: 'application/json',
        ...(init.body ? { 'Content-Type': 'application/json' } : {}),
        ...(token ? { 'x-natflow-token': token } : {}),
        ...init.headers,
      },
    });
  } catch (error) {
    throw new ApiError({
      status: 0,
      code: 'NETWORK_ERROR',
      title: 'The natflow stack did not answer',
      detail: `${path}: ${error instanceof Error ? error.message : String(error)} — is \`natflow up\` still running?`,
    });
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (response.status === 401 && !retried) {
    if (token) localStorage.removeItem(TOKEN_KEY);
    if (askForToken()) return api<T>(path, init, true);
  }
  if (!response.ok) {
    const problem =
      body && typeof body === 'object'
        ? ({ status: response.status, ...(body as object) } as Problem)
        : {
            status: response.status,
            detail: `${init.method ?? 'GET'} ${path}: HTTP ${response.status} ${text.slice(0, 200)}`,
          };
    throw new ApiError(problem);
  }
  if (body === undefined && text !== '')
    throw new ApiError({
      status: response.status,
      code: 'BAD_RESPONSE',
      detail: `${path} did not answer JSON`,
    });
  return body as T;
}

export interface ExecutionSummary {
  executionArn: string;
  name: string;
  status: string;
  startDate: string;
  stopDate?: string;
  workflow?: string;
  stateMachineArn?: string;
  onFailure?: 'rollback' | 'keep';
  redriveCount?: number;
  redriveDate?: string;
  /** The plan it ran for, when the API can tell (GET /executions). */
  plan?: string;
}

export interface ExecutionDetail extends ExecutionSummary {
  input?: unknown;
  output?: unknown;
  error?: string;
  /** The failure document (docs/real-cloud.md#failure): `{code, message, cloud?, rollback?}`. */
  cause?: Record<string, unknown>;
  stateMachineArn: string;
  redriveStatus?: string;
  redriveStatusReason?: string;
}

export interface StateMachineInfo {
  key: string;
  name: string;
  definition: import('./graph.ts').AslMachine;
}

let machines: Promise<StateMachineInfo[]> | undefined;

/** The state machines of serverless.yml (fetched once). */
export function stateMachines(): Promise<StateMachineInfo[]> {
  machines ??= api<{ stateMachines: StateMachineInfo[] }>('/console/api/state-machines')
    .then((r) => r.stateMachines)
    .catch((error: unknown) => {
      machines = undefined;
      throw error;
    });
  return machines;
}

/** The workflow key (`provision`) of a state machine ARN. */
export function workflowOf(
  stateMachineArn: string | undefined,
  all: StateMachineInfo[],
): StateMachineInfo | undefined {
  if (!stateMachineArn) return undefined;
  const name = stateMachineArn.slice(stateMachineArn.lastIndexOf(':') + 1);
  return all.find((m) => m.name === name || m.key === name);
}

/** The execution's id in a URL: its ARN, URL-encoded. */
export function executionPath(arnOrName: string): string {
  return `/executions/${encodeURIComponent(arnOrName)}`;
}
