/**
 * `SDK-HMAC-SHA256` verification (Huawei Cloud API signing: "AK/SK-based authentication"), over the
 * request exactly as it arrived:
 *
 *     CanonicalRequest = Method \n CanonicalURI \n CanonicalQueryString \n CanonicalHeaders \n
 *                        SignedHeaders \n HexEncode(SHA256(payload))
 *     StringToSign     = "SDK-HMAC-SHA256" \n X-Sdk-Date \n HexEncode(SHA256(CanonicalRequest))
 *     Signature        = HexEncode(HMAC-SHA256(SK, StringToSign))
 *     Authorization: SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b;c, Signature=…
 *
 * - CanonicalURI: each path segment URI-encoded (RFC 3986 unreserved kept), ending with `/`.
 * - CanonicalQueryString: parameters sorted by name (values of a repeated name sorted), `name=value`
 *   URI-encoded, joined with `&`.
 * - CanonicalHeaders: `lowercase(name):trim(value)\n` for each signed header, sorted by name.
 * - payload: the SHA-256 of the RAW body bytes received — never a re-serialisation — unless the client
 *   signed `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` (what the SDKs send for bodies that are not JSON).
 * - `X-Sdk-Date` (`YYYYMMDDTHHmmssZ`) must be within 15 minutes of the server's clock, and
 *   `X-Sdk-Date` and `host` must be among the signed headers.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { unauthorized } from './errors.ts';

export const SIGNING_ALGORITHM = 'SDK-HMAC-SHA256';
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

export interface Credentials {
  ak: string;
  sk: string;
}

export interface SignedRequest {
  method: string;
  /** The raw request target's path, percent-encoded as received. */
  rawPath: string;
  /** The raw query string, without `?`. */
  rawQuery: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Huawei's URI encoding: RFC 3986 unreserved characters kept, everything else `%XX` of its UTF-8. */
export function uriEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export function canonicalUri(rawPath: string): string {
  const encoded = rawPath
    .split('/')
    .map((segment) => uriEncode(decode(segment)))
    .join('/');
  return encoded.endsWith('/') ? encoded : `${encoded}/`;
}

export function canonicalQuery(rawQuery: string): string {
  const params = new Map<string, string[]>();
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const at = pair.indexOf('=');
    const name = decode((at < 0 ? pair : pair.slice(0, at)).replace(/\+/g, ' '));
    const value = at < 0 ? '' : decode(pair.slice(at + 1).replace(/\+/g, ' '));
    params.set(name, [...(params.get(name) ?? []), value]);
  }
  return [...params.keys()]
    .sort()
    .flatMap((name) =>
      [...(params.get(name) ?? [])].sort().map((value) => `${uriEncode(name)}=${uriEncode(value)}`),
    )
    .join('&');
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(',') : value;
}

/** The signature a client with `sk` sends for this request, given its signed header names. */
export function expectedSignature(
  request: SignedRequest,
  signedHeaders: readonly string[],
  sk: string,
): string {
  const date = headerValue(request.headers, 'x-sdk-date') ?? '';
  const canonicalHeaders = signedHeaders
    .map((name) => `${name}:${(headerValue(request.headers, name) ?? '').trim()}\n`)
    .join('');
  const declared = headerValue(request.headers, 'x-sdk-content-sha256');
  const payloadHash =
    declared === 'UNSIGNED-PAYLOAD' ? declared : createHash('sha256').update(request.body).digest('hex');
  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalUri(request.rawPath),
    canonicalQuery(request.rawQuery),
    canonicalHeaders,
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const stringToSign = [
    SIGNING_ALGORITHM,
    date,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  return createHmac('sha256', sk).update(stringToSign).digest('hex');
}

/** `20260102T030405Z` → epoch ms, or NaN. */
export function parseSdkDate(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return Number.NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

export function formatSdkDate(ms: number): string {
  return `${new Date(ms).toISOString().replace(/[-:]/g, '').slice(0, 15)}Z`;
}

/**
 * Verifies a request's signature; throws a 401 (`APIGW.0301`) naming what is wrong. Nothing about the
 * secret key is revealed.
 */
export function verifySignature(request: SignedRequest, credentials: Credentials, now: number): void {
  const authorization = headerValue(request.headers, 'authorization');
  if (!authorization)
    throw unauthorized('the request has no Authorization header (SDK-HMAC-SHA256 AK/SK signature)');
  const match =
    /^SDK-HMAC-SHA256\s+Access=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-fA-F]+)\s*$/.exec(
      authorization.trim(),
    );
  if (!match) {
    throw unauthorized(
      'the Authorization header is not "SDK-HMAC-SHA256 Access=AK, SignedHeaders=…, Signature=…"',
    );
  }
  const [, access, signedList, signature] = match as unknown as [string, string, string, string];
  if (!safeEqual(access, credentials.ak))
    throw unauthorized(`the access key ${access} is not known to this endpoint`);
  const signedHeaders = signedList.split(';');
  const sorted = [...signedHeaders].sort();
  if (signedHeaders.some((name, i) => name !== name.toLowerCase() || name !== sorted[i])) {
    throw unauthorized('SignedHeaders must be lowercase and sorted');
  }
  if (!signedHeaders.includes('host') || !signedHeaders.includes('x-sdk-date')) {
    throw unauthorized('SignedHeaders must include host and x-sdk-date');
  }
  const dateText = headerValue(request.headers, 'x-sdk-date') ?? '';
  const date = parseSdkDate(dateText);
  if (Number.isNaN(date)) throw unauthorized(`X-Sdk-Date "${dateText}" is not YYYYMMDDTHHmmssZ`);
  if (Math.abs(now - date) > MAX_CLOCK_SKEW_MS) {
    throw unauthorized(
      `X-Sdk-Date ${dateText} is more than 15 minutes away from the server's time ${formatSdkDate(now)}`,
    );
  }
  const declared = headerValue(request.headers, 'x-sdk-content-sha256');
  if (declared !== undefined && declared !== 'UNSIGNED-PAYLOAD') {
    const actual = createHash('sha256').update(request.body).digest('hex');
    if (declared.toLowerCase() !== actual)
      throw unauthorized('X-Sdk-Content-Sha256 does not match the body received');
  }
  const expected = expectedSignature(request, signedHeaders, credentials.sk);
  if (!safeEqual(signature.toLowerCase(), expected)) {
    throw unauthorized('verify aksk signature fail (the signature does not match the request received)');
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y) && a === b;
}

/** Signs a request as the SDKs do (tests and tools that send raw bodies). Returns the headers to add. */
export function signRequest(
  request: Omit<SignedRequest, 'headers'> & { headers: Record<string, string> },
  credentials: Credentials,
  now: number,
): Record<string, string> {
  const headers: Record<string, string> = { ...request.headers, 'X-Sdk-Date': formatSdkDate(now) };
  const lower: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) lower[name.toLowerCase()] = value;
  const signedHeaders = Object.keys(lower).sort();
  const signature = expectedSignature({ ...request, headers: lower }, signedHeaders, credentials.sk);
  return {
    ...headers,
    Authorization: `${SIGNING_ALGORITHM} Access=${credentials.ak}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`,
  };
}
