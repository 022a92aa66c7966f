/**
 * EventBridge on the stack's port, into the local bus: `X-Amz-Target: AWSEvents.PutEvents` (the AWS JSON
 * protocol, so an SDK client pointed here puts events as it would on AWS) and `POST /events` take
 * PutEvents entries; `GET /events` lists what the bus saw, newest first.
 */
import { z } from 'zod';
import type { LocalEventBus } from '../../local-bus/index.ts';
import { parseJsonBody, readBody } from './body.ts';
import { sendJson } from './reply.ts';
import { methodNotAllowed, type Protocol } from './router.ts';

const PUT_EVENTS = 'AWSEvents.PutEvents';

const PutEventsSchema = z.object({
  Entries: z
    .array(
      z.object({
        Source: z.string().min(1),
        DetailType: z.string().min(1),
        Detail: z.string(),
        EventBusName: z.string().optional(),
        Resources: z.array(z.string()).optional(),
      }),
    )
    .min(1)
    .max(10),
});

const EventsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  detailType: z.string().optional(),
  source: z.string().optional(),
});

export function eventsProtocol(bus: Pick<LocalEventBus, 'putEvents' | 'list'>): Protocol {
  return {
    name: 'events',
    claims: ({ target, path }) => target === PUT_EVENTS || path === '/events',
    async serve({ req, res, url, path, method, target }) {
      if (target === PUT_EVENTS) {
        const entries = PutEventsSchema.parse(parseJsonBody(await readBody(req), undefined));
        const result = await bus.putEvents(entries.Entries);
        sendJson(
          res,
          200,
          { FailedEntryCount: result.FailedEntryCount, Entries: result.Entries },
          'application/x-amz-json-1.1',
        );
        return;
      }
      if (method === 'POST') {
        const body = parseJsonBody(await readBody(req), req.headers['content-type']);
        sendJson(res, 200, await bus.putEvents(PutEventsSchema.parse(body).Entries));
        return;
      }
      if (method === 'GET') {
        const query = EventsQuerySchema.parse(Object.fromEntries(url.searchParams));
        sendJson(res, 200, {
          events: bus.list({
            ...(query.limit ? { limit: query.limit } : {}),
            ...(query.detailType ? { detailType: query.detailType } : {}),
            ...(query.source ? { source: query.source } : {}),
          }),
        });
        return;
      }
      throw methodNotAllowed(method, path, 'GET, POST');
    },
  };
}
