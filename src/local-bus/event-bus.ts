/**
 * The local EventBridge bus (docs/events.md). `putEvents` takes PutEvents entries, matches them against
 * the rules read from serverless.yml and starts the target workflow with the rule's input path
 * (`$.detail`); natflow's own out events (source `natflow`) are published here too. Every event is kept
 * (newest first for `GET /events`), bounded so a long-running stack does not grow without limit.
 */
import { randomUUID } from 'node:crypto';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../aws/local.ts';
import type { Clock } from '../net/clock.ts';
import { matchesPattern } from './event-pattern.ts';

export interface BusEvent {
  id: string;
  time: string;
  source: string;
  'detail-type': string;
  detail: Record<string, unknown>;
  account: string;
  region: string;
  resources: string[];
  'event-bus-name': string;
}

export interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Resources?: string[];
}

export interface BusRule {
  name: string;
  pattern: Record<string, unknown>;
  inputPath?: string;
  target: (input: unknown, event: BusEvent) => Promise<unknown>;
}

export interface PutEventsResult {
  FailedEntryCount: number;
  Entries: { EventId?: string; ErrorCode?: string; ErrorMessage?: string }[];
  /** Local only: what each entry started, for scripts and tests. */
  Started: { eventId: string; rule: string; result?: unknown; error?: string }[];
}

export class LocalEventBus {
  readonly name: string;
  private readonly rules: BusRule[] = [];
  private readonly events: BusEvent[] = [];
  private readonly clock: Clock;
  private readonly limit: number;
  private readonly listeners = new Set<(event: BusEvent) => void>();

  constructor(options: { name?: string; clock: Clock; limit?: number }) {
    this.name = options.name ?? 'natflow';
    this.clock = options.clock;
    this.limit = options.limit ?? 1000;
  }

  addRule(rule: BusRule): void {
    this.rules.push(rule);
  }

  /** Events emitted or received, newest first. */
  list(options: { limit?: number; detailType?: string; source?: string } = {}): BusEvent[] {
    const matching = this.events.filter(
      (e) =>
        (options.detailType === undefined || e['detail-type'] === options.detailType) &&
        (options.source === undefined || e.source === options.source),
    );
    return matching.slice(-(options.limit ?? matching.length)).reverse();
  }

  subscribe(listener: (event: BusEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** natflow's own out events. */
  async publish(detailType: string, detail: Record<string, unknown>): Promise<void> {
    await this.putEvents([{ Source: 'natflow', DetailType: detailType, Detail: JSON.stringify(detail) }]);
  }

  /** PutEvents: validates each entry, records it, and runs every matching rule's target. */
  async putEvents(entries: PutEventsEntry[]): Promise<PutEventsResult> {
    const result: PutEventsResult = { FailedEntryCount: 0, Entries: [], Started: [] };
    for (const entry of entries) {
      const problem = checkEntry(entry);
      if (problem) {
        result.FailedEntryCount++;
        result.Entries.push({ ErrorCode: 'MalformedDetail', ErrorMessage: problem });
        continue;
      }
      const event: BusEvent = {
        id: randomUUID(),
        time: new Date(this.clock.now()).toISOString(),
        source: entry.Source as string,
        'detail-type': entry.DetailType as string,
        detail: JSON.parse(entry.Detail as string) as Record<string, unknown>,
        account: LOCAL_ACCOUNT_ID,
        region: LOCAL_REGION,
        resources: entry.Resources ?? [],
        'event-bus-name': entry.EventBusName ?? this.name,
      };
      this.events.push(event);
      if (this.events.length > this.limit) this.events.splice(0, this.events.length - this.limit);
      for (const listener of this.listeners) listener(event);
      result.Entries.push({ EventId: event.id });
      for (const rule of this.rules) {
        if (!matchesPattern(rule.pattern, event as unknown as Record<string, unknown>)) continue;
        const input = rule.inputPath === '$.detail' || rule.inputPath === undefined ? event.detail : event;
        try {
          result.Started.push({
            eventId: event.id,
            rule: rule.name,
            result: await rule.target(input, event),
          });
        } catch (error) {
          result.Started.push({
            eventId: event.id,
            rule: rule.name,
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
    }
    return result;
  }
}

function checkEntry(entry: PutEventsEntry): string | undefined {
  if (typeof entry.Source !== 'string' || entry.Source === '') return 'Source is required';
  if (typeof entry.DetailType !== 'string' || entry.DetailType === '') return 'DetailType is required';
  if (typeof entry.Detail !== 'string') return 'Detail is required (a JSON object as a string)';
  try {
    const detail: unknown = JSON.parse(entry.Detail);
    if (!detail || typeof detail !== 'object' || Array.isArray(detail)) return 'Detail must be a JSON object';
  } catch {
    return 'Detail is not valid JSON';
  }
  return undefined;
}
