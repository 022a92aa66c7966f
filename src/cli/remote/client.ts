/**
 * The CLI's client of a natflow stack's HTTP API (docs/http-api.md) — what every command uses with
 * `--endpoint URL`: no local store and no Step Functions protocol, only the routes. Requests are
 * SigV4-signed (service `execute-api`, the default credential chain) when the host is an API Gateway
 * endpoint (`….execute-api.<region>.amazonaws.com`) or `--sigv4` is given. A problem document
 * (RFC 9457) becomes a `NatflowError` named by its `code`, with its `errors`, so the CLI reports it
 * exactly as it reports a local error. The CLI's token (`--token`, else NATFLOW_TOKEN) goes with every
 * request to a natflow stack — `Authorization: Bearer`, or `x-natflow-token` when SigV4 signs
 * `Authorization` — and a 401 says whether it was missing or wrong (`UNAUTHORIZED`, exit 2).
 */
import { NatflowError } from '../../net/errors.ts';
import { tokenOf, unauthorized } from '../token.ts';
import { type Credentials, defaultCredentials, isApiGatewayHost, regionOf, signRequest } from './sigv4.ts';

export interface RemoteOptions {
  endpoint: string;
  /** Sign every request (`--sigv4`); API Gateway hosts are signed anyway. */
  sigv4?: boolean;
  env?: NodeJS.ProcessEnv;
  /** The stack's token (`--token`); NATFLOW_TOKEN from `env` when not given. */
  token?: string | undefined;
  /** Credentials for signing (tests); the default chain otherwise. */
  credentials?: Credentials;
  fetch?: typeof fetch;
}

/** An error answer of the API: the problem document's code is the error's name. */
export class RemoteProblem extends NatflowError {
  readonly status: number;
  readonly issues: { path: string; code: string; message: string }[];

  constructor(
    code: string,
    message: string,
    status: number,
    issues: RemoteProblem['issues'],
    candidates?: readonly string[],
  ) {
    super(message, { details: { status, ...(candidates ? { candidates: [...candidates] } : {}) } });
    this.name = code;
    this.status = status;
    this.issues = issues;
  }
}

export class RemoteApi {
  readonly endpoint: URL;
  readonly signed: boolean;
  private readonly env: NodeJS.ProcessEnv;
  private readonly fetch: typeof fetch;
  private readonly token: string | undefined;
  private credentials: Credentials | undefined;

  constructor(options: RemoteOptions) {
    let endpoint: URL;
    try {
      endpoint = new URL(options.endpoint);
    } catch {
      throw new NatflowError(`--endpoint ${options.endpoint} is not a URL`, { path: 'endpoint' });
    }
    if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') {
      throw new NatflowError(`--endpoint must be an http or https URL, got ${endpoint.protocol}`, {
        path: 'endpoint',
      });
    }
    if (!endpoint.pathname.endsWith('/')) endpoint.pathname += '/';
    this.endpoint = endpoint;
    this.signed = options.sigv4 === true || isApiGatewayHost(endpoint.hostname);
    this.env = options.env ?? process.env;
    this.fetch = options.fetch ?? fetch;
    this.token = tokenOf(options.token, this.env);
    this.credentials = options.credentials;
  }

  /** One request; resolves the JSON answer, rejects with `RemoteProblem` on an error status. */
  async request<T = unknown>(
    method: 'GET' | 'POST',
    path: string,
    options: { body?: unknown; query?: Record<string, string | number | undefined> } = {},
  ): Promise<T> {
    // Relative to the endpoint, so a stage path (`/dev/`) is kept.
    const url = new URL(path.replace(/^\//, ''), this.endpoint);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== '') url.searchParams.set(name, String(value));
    }
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    let headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    // API Gateway knows no token (IAM is its guard): only a natflow stack's host gets it.
    const apiGateway = isApiGatewayHost(this.endpoint.hostname);
    if (this.token !== undefined && !apiGateway) {
      if (this.signed) headers['x-natflow-token'] = this.token;
      else headers.authorization = `Bearer ${this.token}`;
    }
    if (this.signed) {
      this.credentials ??= await defaultCredentials();
      headers = await signRequest(
        { method, url, headers, ...(body !== undefined ? { body } : {}) },
        { region: regionOf(url.hostname, this.env), credentials: this.credentials },
      );
      delete headers.host; // fetch sets it from the URL
    }
    let response: Response;
    try {
      response = await this.fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
    } catch (error) {
      throw new NatflowError(`cannot reach ${this.endpoint.href}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const text = await response.text();
    let document: unknown;
    try {
      document = text === '' ? undefined : JSON.parse(text);
    } catch {
      document = undefined;
    }
    if (response.ok) return document as T;
    // A natflow stack's own refusal of the token (API Gateway's 401/403 bodies carry no such code).
    if (response.status === 401 && (document as { code?: unknown } | undefined)?.code === 'UNAUTHORIZED')
      throw unauthorized(this.endpoint.origin, this.token);
    throw problemOf(response.status, document, text, `${method} ${url.pathname}`);
  }
}

function problemOf(status: number, document: unknown, text: string, what: string): RemoteProblem {
  const problem = (document ?? {}) as {
    code?: unknown;
    title?: unknown;
    detail?: unknown;
    message?: unknown;
    errors?: unknown;
    candidates?: unknown;
  };
  const issues = Array.isArray(problem.errors)
    ? problem.errors.map((e: { path?: unknown; code?: unknown; message?: unknown }) => ({
        path: String(e.path ?? ''),
        code: String(e.code ?? ''),
        message: String(e.message ?? ''),
      }))
    : [];
  // API Gateway's own refusals (a bad signature, a missing token) carry only `message`.
  const code =
    typeof problem.code === 'string'
      ? problem.code
      : status === 403 || status === 401
        ? 'ACCESS_DENIED'
        : status === 404
          ? 'NOT_FOUND'
          : `HTTP_${status}`;
  const message = String(problem.detail ?? problem.message ?? problem.title ?? (text.slice(0, 500) || what));
  return new RemoteProblem(
    code,
    `${what}: ${message}`,
    status,
    issues.length > 0 ? issues : [{ path: '', code, message }],
    Array.isArray(problem.candidates) ? problem.candidates.map(String) : undefined,
  );
}
