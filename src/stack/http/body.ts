/**
 * Request bodies on the stack's port: read with the route's limit (256 KB, `POST /dnat/evaluate` 2 MB:
 * `bodyLimitOf`; refused with 413 as soon as it is passed, never buffered whole), and a local route's JSON
 * parsed into a problem when it is not JSON.
 */
import type { IncomingMessage } from 'node:http';
import { formatBytes, HttpProblemError, MAX_BODY_BYTES } from '../../api/problem.ts';

/** The client went away in the middle of its request: there is no one to answer. */
export class ClientGoneError extends Error {
  override name = 'ClientGone';
}

/** Reads the body, refusing (413) as soon as it passes `limit` (256 KB); the rest is cut off. */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string | null> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  return new Promise((resolve, reject) => {
    // Over the limit, answer 413 at once (with Connection: close) instead of reading an endless body.
    if (declared > limit) {
      reject(tooLargeError(declared, limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      reject(error);
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        fail(tooLargeError(size, limit));
      } else chunks.push(chunk);
    });
    req.on('error', () => fail(new ClientGoneError()));
    req.on('aborted', () => fail(new ClientGoneError()));
    req.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(size === 0 ? null : Buffer.concat(chunks).toString('utf8'));
    });
  });
}

function tooLargeError(bytes: number, limit: number): HttpProblemError {
  return new HttpProblemError(
    413,
    'PAYLOAD_TOO_LARGE',
    `the body is ${bytes} bytes or more; the limit is ${limit} bytes (${formatBytes(limit)})`,
    { headers: { Connection: 'close' } },
  );
}

/** A JSON body of a local route (the API routes parse theirs in the handler's middleware). */
export function parseJsonBody(text: string | null, contentType: string | undefined): unknown {
  if (text === null) return undefined;
  if (
    contentType !== undefined &&
    !/^application\/(?:[a-z0-9.+-]+\+)?json\b|^application\/x-amz-json-1\.[01]\b/i.test(contentType)
  ) {
    throw new HttpProblemError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      'the body must be JSON (Content-Type: application/json)',
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpProblemError(
      400,
      'MALFORMED_JSON',
      `the body is not valid JSON: ${(error as Error).message}`,
    );
  }
}
