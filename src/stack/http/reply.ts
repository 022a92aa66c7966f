/**
 * Answers of the stack's own routes: JSON with the security headers every answer carries, and errors as
 * problem documents (a zod failure as a 422 listing its issues), never a stack.
 */
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import { PROBLEM_CONTENT_TYPE, type Problem, problem, problemOf } from '../../api/problem.ts';
import { issuesFromZod } from '../../cloud/issues.ts';

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  contentType = 'application/json',
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(text);
}

/** The problem document of anything thrown while serving a request, and its extra headers. */
export function problemOfError(error: unknown): { problem: Problem; headers: Record<string, string> } {
  if (error instanceof z.ZodError) return { problem: problem(422, issuesFromZod(error.issues)), headers: {} };
  return problemOf(error);
}

export function sendProblem(res: ServerResponse, document: Problem, headers: Record<string, string>): void {
  const text = JSON.stringify(document);
  res.writeHead(document.status, {
    ...headers,
    'Content-Type': PROBLEM_CONTENT_TYPE,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    // A refused body may still be arriving: do not keep the connection for another request.
    ...(document.status === 413 ? { Connection: 'close' } : {}),
  });
  res.end(text);
}
