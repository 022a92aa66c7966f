/**
 * What a step waits for (docs/real-cloud.md#time): a resource the cloud has not finished creating — or
 * deleting — named as the user knows it, with its status in the cloud's own words and how long it has
 * been at it. A step that waits fails `Natflow.NotReady` carrying these; the workflow's Retry runs it
 * again (1 s, backing off ×1.5 to 10 s), and the CLI and the console read them back from the execution
 * history to show `waiting for ECS-B: BUILD, 42 s` while it waits.
 *
 * Where it sits in the history (docs/workflows.md#what-a-step-waits-for): the `LambdaFunctionFailed`
 * event of a Task whose error is `Natflow.NotReady`; its `cause` is Lambda's error document
 * `{"errorType": "Natflow.NotReady", "errorMessage": "<document>", "trace": ["Natflow.NotReady:
 * <document>"]}` (no stack frame) whose `errorMessage` is this module's document, `{"code":
 * "Natflow.NotReady", "message": "waiting for …", "waiting": {name, kind, status, seconds},
 * "alsoWaiting": [{name, kind, status, seconds}, …]}`: `waiting` the first resource the step waits for —
 * the shape the console reads — and `alsoWaiting` the others, absent when there are none.
 * `waitingOfCause` reads either form.
 */
import { NotReadyError } from './errors.ts';
import type { Resource } from './resources.ts';

/** A resource a step waits for. */
export interface Waiting {
  /** natflow's name of it (`ECS-B`). */
  name: string;
  /** Its type (`server`, `vpc`, `private-nat-gateway`…). */
  kind: string;
  /**
   * Its status as the cloud last reported it, in the cloud's words (`BUILD`, `CREATING`, `INACTIVE`;
   * `PENDING` on the virtual cloud; `NOT_CREATED` before its create call was answered; `DELETING` while
   * a deletion is awaited).
   */
  status: string;
  /** Whole seconds since it was created (or its deletion asked for). */
  seconds: number;
}

/** The history document of a wait: the `errorMessage` of a `Natflow.NotReady` failure. */
export interface WaitingDocument {
  code: 'Natflow.NotReady';
  message: string;
  /** The first resource the step waits for (absent when the step named none). */
  waiting?: Waiting;
  /** The other resources it waits for, in the step's order (absent when there are none). */
  alsoWaiting?: Waiting[];
}

/** One resource waited for, from its record: its cloud status when the provider records one. */
export function waitingOf(resource: Resource, now: number, status?: string): Waiting {
  return {
    name: resource.name,
    kind: resource.type,
    status: status ?? resource.cloudStatus ?? resource.status,
    seconds: Math.max(0, Math.floor((now - Date.parse(resource.createdAt)) / 1000)),
  };
}

/** `ECS-B: BUILD, 42 s` */
export function describeWaiting(waiting: Waiting): string {
  return `${waiting.name}: ${waiting.status}, ${waiting.seconds} s`;
}

/** `waiting for ECS-B: BUILD, 42 s; VPC-A: CREATING, 3 s` */
export function waitingMessage(waiting: readonly Waiting[]): string {
  return `waiting for ${waiting.map(describeWaiting).join('; ')}`;
}

/**
 * The `Natflow.NotReady` a step throws while it waits for `waiting` (one entry per resource, the first
 * occurrence of each kind and name kept).
 *
 * @example throw notReady([{ name: 'ECS-B', kind: 'server', status: 'BUILD', seconds: 42 }]);
 *   // NotReadyError: waiting for ECS-B: BUILD, 42 s
 */
export function notReady(waiting: readonly Waiting[], options: { cause?: unknown } = {}): NotReadyError {
  const unique = dedupe(waiting);
  return new NotReadyError(waitingMessage(unique), { ...options, details: { waiting: unique } });
}

/** What a `Natflow.NotReady` error waits for (none when it says nothing of it). */
export function waitingOfError(error: unknown): Waiting[] {
  if (!(error instanceof NotReadyError)) return [];
  const listed = error.details?.waiting;
  return Array.isArray(listed) ? listed.filter(isWaiting) : [];
}

/** The history document of a wait (see the file comment). */
export function waitingDocument(error: NotReadyError): WaitingDocument {
  const [first, ...others] = waitingOfError(error);
  return {
    code: 'Natflow.NotReady',
    message: error.message,
    ...(first ? { waiting: first } : {}),
    ...(others.length > 0 ? { alsoWaiting: others } : {}),
  };
}

/**
 * What a `Natflow.NotReady` failure's cause says the step waits for: the cause is the document itself,
 * or Lambda's `{errorType, errorMessage, trace}` whose `errorMessage` is. Anything else: none.
 */
export function waitingOfCause(cause: string | undefined): Waiting[] {
  const outer = parseObject(cause);
  if (!outer) return [];
  const document =
    'waiting' in outer
      ? outer
      : typeof outer.errorMessage === 'string'
        ? parseObject(outer.errorMessage)
        : undefined;
  if (!document) return [];
  const listed = [
    ...(Array.isArray(document.waiting) ? document.waiting : [document.waiting]),
    ...(Array.isArray(document.alsoWaiting) ? document.alsoWaiting : []),
  ];
  return listed.filter(isWaiting);
}

function dedupe(waiting: readonly Waiting[]): Waiting[] {
  const seen = new Set<string>();
  return waiting.filter((w) => {
    const key = `${w.kind}\u0000${w.name}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function isWaiting(value: unknown): value is Waiting {
  if (typeof value !== 'object' || value === null) return false;
  const w = value as Record<string, unknown>;
  return (
    typeof w.name === 'string' &&
    typeof w.kind === 'string' &&
    typeof w.status === 'string' &&
    typeof w.seconds === 'number'
  );
}

function parseObject(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined || !text.startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
