/**
 * SigV4 signing of the CLI's requests to a deployed stack's HTTP API (API Gateway with AWS_IAM
 * authorization), with `@smithy/signature-v4` and the SDK's default credential chain
 * (`@aws-sdk/credential-provider-node`: environment, shared config and SSO, container and instance
 * roles). The service is `execute-api`; the region comes from the API Gateway host name, else from
 * AWS_REGION / AWS_DEFAULT_REGION.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, SourceData } from '@smithy/types';

/** `abc123.execute-api.eu-west-1.amazonaws.com` → `eu-west-1`. */
const API_GATEWAY_HOST = /^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;

export function isApiGatewayHost(hostname: string): boolean {
  return API_GATEWAY_HOST.test(hostname.toLowerCase());
}

export function regionOf(hostname: string, env: NodeJS.ProcessEnv): string {
  return (
    API_GATEWAY_HOST.exec(hostname.toLowerCase())?.[1] ??
    env.AWS_REGION?.trim() ??
    env.AWS_DEFAULT_REGION?.trim() ??
    'us-east-1'
  );
}

/** SHA-256 (and HMAC-SHA-256 with a secret) on node:crypto, the Checksum SignatureV4 takes. */
export class NodeSha256 {
  private readonly secret: Uint8Array | string | undefined;
  private hash: Hash | Hmac;

  constructor(secret?: SourceData) {
    this.secret = secret === undefined ? undefined : bytes(secret);
    this.hash = this.fresh();
  }

  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }

  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }

  reset(): void {
    this.hash = this.fresh();
  }
}

function bytes(data: SourceData): Uint8Array | string {
  if (typeof data === 'string' || data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

export interface SignableRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

export type Credentials = AwsCredentialIdentity | AwsCredentialIdentityProvider;

/** The default credential chain, loaded on first use (the CLI's local commands never load it). */
export async function defaultCredentials(): Promise<AwsCredentialIdentityProvider> {
  const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
  return defaultProvider();
}

/** The request's headers with `authorization`, `x-amz-date` (and a session token) added. */
export async function signRequest(
  request: SignableRequest,
  options: { region: string; credentials: Credentials; service?: string; signingDate?: Date },
): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    service: options.service ?? 'execute-api',
    region: options.region,
    credentials: options.credentials,
    sha256: NodeSha256,
  });
  const { url } = request;
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of url.searchParams) {
    const previous = query[name];
    query[name] = previous === undefined ? value : [previous, value].flat();
  }
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query,
      headers: { ...request.headers, host: url.host },
      ...(request.body !== undefined ? { body: request.body } : {}),
    },
    options.signingDate ? { signingDate: options.signingDate } : {},
  );
  return signed.headers as Record<string, string>;
}
