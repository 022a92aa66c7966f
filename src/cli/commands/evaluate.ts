import { parseArgs } from 'node:util';
import type { EvaluateRequest, EvaluateResponse } from '../../dnat/api.ts';
import { NatflowError } from '../../net/errors.ts';
import { formatEndpoint, parsePacketText } from '../../net/packet.ts';
import {
  COMMON_OPTIONS,
  type Command,
  dataDirOf,
  EXIT_OK,
  EXIT_USAGE,
  type Output,
  printJson,
  UsageError,
} from '../io.ts';
import { bold, dim, green, red, yellow } from '../render.ts';
import { tokenOf, unauthorized } from '../token.ts';

const usage = `usage: natflow evaluate --gateway NAME PACKET… [--reply PACKET…] [--inbound PACKET…]
                        [--plan NAME] [--json] [--data-dir DIR] [--endpoint URL]

Evaluates packets through a private NAT gateway's DNAT rules, in order, as one batch against a fresh
session table (so a batch can hold a flow and its replies). A packet is written
  'tcp 192.168.0.10:40000 > 192.168.0.144:80'     optionally followed by [syn], [ack], [fin], [rst]
                                                  or several: [syn,ack]
Packets arrive at the transit IP (inbound) until --reply: the packets after it come back from the
target (until --inbound). Verdicts: TRANSLATED, NO_MATCHING_RULE, RULE_INACTIVE, SESSION_LIMIT,
NOT_A_TRANSIT_IP, NO_SESSION, INVALID_PACKET.
  --gateway  the gateway's name or id (names resolve within --plan when given)
  --endpoint a natflow API to ask (POST /dnat/evaluate) instead of the local store
Exit 0 when every packet was evaluated, 2 if any packet is INVALID_PACKET (the others are still
answered), for an unknown or ambiguous gateway, or for bad usage.`;

const command: Command = {
  usage,
  async run({ argv, io, env }) {
    const { request, json, dataDir, endpoint, token } = parseCommandLine(argv, env);
    const response = endpoint
      ? await remoteEvaluate(endpoint, request, token)
      : await localEvaluate(dataDir, request);
    if (json) printJson(io, response);
    else printTable(io, request, response);
    return response.results.some((result) => result.verdict === 'INVALID_PACKET') ? EXIT_USAGE : EXIT_OK;
  },
};

/** Reads flags and packets in order: `--reply` and `--inbound` switch the direction of what follows. */
export function parseCommandLine(
  argv: string[],
  env: NodeJS.ProcessEnv,
): {
  request: EvaluateRequest;
  json: boolean;
  dataDir: string;
  endpoint: string | undefined;
  token: string | undefined;
} {
  const { values, tokens } = parseTokens(argv);
  if (!values.gateway) throw new UsageError(`--gateway is required\n${usage}`);
  const packets: unknown[] = [];
  let direction: 'inbound' | 'reply' = 'inbound';
  for (const token of tokens) {
    if (token.kind === 'option' && token.name === 'reply') direction = 'reply';
    else if (token.kind === 'option' && token.name === 'inbound') direction = 'inbound';
    else if (token.kind === 'positional') packets.push(packetOf(token.value, direction));
  }
  if (packets.length === 0) throw new UsageError(`no packet to evaluate\n${usage}`);
  return {
    request: {
      gateway: values.gateway,
      ...(values.plan === undefined ? {} : { plan: values.plan }),
      packets,
    },
    json: values.json,
    dataDir: dataDirOf(values['data-dir'], env),
    endpoint: values.endpoint,
    token: tokenOf(values.token, env),
  };
}

function parseTokens(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true, tokens: true });
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
  }
}

const OPTIONS = {
  ...COMMON_OPTIONS,
  gateway: { type: 'string' },
  reply: { type: 'boolean', multiple: true },
  inbound: { type: 'boolean', multiple: true },
} as const;

/**
 * The request item for a packet text: the parsed packet with its direction, or the text itself when it
 * does not parse, so the batch answers it INVALID_PACKET with the reason and evaluates the rest.
 */
function packetOf(text: string, direction: 'inbound' | 'reply'): unknown {
  try {
    const packet = parsePacketText(text);
    return {
      protocol: packet.protocol,
      src: formatEndpoint(packet.src),
      dst: formatEndpoint(packet.dst),
      direction,
      ...(packet.tcpFlags && packet.tcpFlags.length > 0 ? { tcpFlags: [...packet.tcpFlags] } : {}),
    };
  } catch (error) {
    if (error instanceof NatflowError) return text;
    throw error;
  }
}

async function localEvaluate(dataDir: string, request: EvaluateRequest): Promise<EvaluateResponse> {
  const [{ evaluateRequest }, { openLocalReader }] = await Promise.all([
    import('../../dnat/api.ts'),
    import('../local-store.ts'),
  ]);
  const store = openLocalReader(dataDir);
  try {
    return await evaluateRequest(store, request);
  } finally {
    await store.close();
  }
}

async function remoteEvaluate(
  url: string,
  request: EvaluateRequest,
  token: string | undefined,
): Promise<EvaluateResponse> {
  const response = await fetch(new URL('/dnat/evaluate', url), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(request),
  });
  if (response.status === 401) throw unauthorized(url, token);
  const document = (await response.json()) as unknown;
  if (!response.ok) {
    const problem = document as { code?: string; detail?: string; candidates?: string[] };
    const error = new NatflowError(problem.detail ?? `POST /dnat/evaluate answered ${response.status}`, {
      ...(problem.candidates ? { details: { candidates: problem.candidates } } : {}),
    });
    error.name = problem.code ?? 'VALIDATION_FAILED';
    throw error;
  }
  const { EvaluateResponseSchema } = await import('../../dnat/api.ts');
  return EvaluateResponseSchema.parse(document);
}

function printTable(io: Output, request: EvaluateRequest, response: EvaluateResponse): void {
  io.out(`${bold('gateway')} ${response.gatewayName} ${dim(`(${response.gateway})`)}`);
  const described = request.packets.map(describePacket);
  const width = Math.max(...described.map((text) => text.length));
  response.results.forEach((result, i) => {
    const paint =
      result.verdict === 'TRANSLATED' ? green : result.verdict === 'INVALID_PACKET' ? red : yellow;
    const parts = [
      `${String(i + 1).padStart(3)}  ${(described[i] ?? '').padEnd(width)}  ${paint(result.verdict)}`,
    ];
    if (result.translated) parts.push(`→ ${result.translated.src} > ${result.translated.dst}`);
    if (result.rule) parts.push(dim(`rule ${result.rule}`));
    if (result.session) parts.push(dim(`session ${result.session.id} ${result.session.state}`));
    if (result.reason) parts.push(dim(`(${result.reason})`));
    io.out(parts.join('  '));
  });
}

function describePacket(item: unknown): string {
  if (typeof item === 'string') return item;
  const packet = item as {
    protocol: string;
    src: string;
    dst: string;
    direction: string;
    tcpFlags?: string[];
  };
  const flags = packet.tcpFlags?.length ? ` [${packet.tcpFlags.join(',')}]` : '';
  return `${packet.direction === 'reply' ? 'reply ' : ''}${packet.protocol} ${packet.src} > ${packet.dst}${flags}`;
}

export default command;
