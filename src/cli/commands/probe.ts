import { NatflowError } from '../../net/errors.ts';
import { tryParseIpv4 } from '../../net/ipv4.ts';
import type { ProbeMode, ProbeReport, ProbeRequest } from '../../probe/probe.ts';
import { can } from '../../providers/registry.ts';
import { commandCloud, refuseWithout } from '../cloud.ts';
import { type Command, dataDirOf, EXIT_FAILED, EXIT_OK, parseFlags, printJson, UsageError } from '../io.ts';

const usage = `usage: natflow probe --from SERVER --to DEST:PORT --protocol http|tcp|udp
                     [--mode analyze|live|both] [--plan NAME] [--expect reachable|unreachable]
                     [--timeout MS] [--json] [--endpoint URL] [--data-dir DIR]

Probes the path from a server to a destination: the hop-by-hop analysis (where and why a path stops),
and a real request through the local data plane (an HTTP GET, a TCP exchange, a UDP echo) — in both
modes by default, which must agree.
  --from    a server: its id, PLAN/NAME, or its name
  --to      an address (resolved in the source server's VPC), or a transit IP's, server's or load
            balancer's id, PLAN/NAME or name, then :PORT
            (--to 192.168.0.144:80, --to transit-ip-A:80, --to app-a-to-elb01/transit-ip-A:80)
  --plan    names resolve within this plan first
  --expect  the verdict that makes the exit code 0 (default reachable); otherwise 1
natflow sends no packet into a real VPC: what a real cloud holds (huaweicloud) is analysed only — without
--mode the probe says so on stderr; --mode live or both exits 2 (LIVE_PROBE_UNAVAILABLE).
Without a running stack (DATA_DIR/stack.json) or --endpoint, the data plane runs in this process for as
long as the probe does. Exit 2 on bad input (an unknown name; a name that matches several resources is
AMBIGUOUS_NAME, listing each as PLAN/NAME or id).`;

const PROTOCOLS = ['http', 'tcp', 'udp'] as const;
const MODES = ['analyze', 'live', 'both'] as const;

const command: Command = {
  usage,
  async run({ argv, io, env }) {
    const { values, positionals } = parseFlags(argv, {
      from: { type: 'string' },
      to: { type: 'string' },
      protocol: { type: 'string' },
      mode: { type: 'string' },
      expect: { type: 'string', default: 'reachable' },
      timeout: { type: 'string' },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}\n${usage}`);
    const request = parseRequest(values);
    // On a real cloud natflow sends no packet into a VPC (docs/clouds.md): analysis of its model only.
    const cloud = commandCloud(values, env);
    if (!can(cloud, 'liveProbe')) {
      if (request.mode === 'live' || request.mode === 'both') {
        const imported = can(cloud, 'importAccount')
          ? ` (the analysis of the imported model, 'natflow import --cloud ${cloud}')`
          : '';
        refuseWithout(
          cloud,
          'liveProbe',
          `probe --mode ${request.mode}`,
          `natflow sends no packet into a real VPC; use --mode analyze${imported}`,
        );
      }
      request.mode = 'analyze';
      io.err(
        `natflow: on ${cloud} the probe is the analysis of natflow's model only; natflow sends no packet into a real VPC`,
      );
    }
    const expect = values.expect;
    if (expect !== 'reachable' && expect !== 'unreachable')
      throw new UsageError(`--expect is reachable or unreachable, not '${expect}'`);
    const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout);
    if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0))
      throw new UsageError(`--timeout is a positive number of milliseconds`);

    let report: ProbeReport;
    try {
      const dataDir = dataDirOf(values['data-dir'], env);
      const [{ liveStack }, { tokenOf }] = await Promise.all([
        import('../live-stack.ts'),
        import('../token.ts'),
      ]);
      const token = tokenOf(values.token, env);
      const url = values.endpoint ?? (await liveStack(dataDir, { token, warn: io.err }))?.url;
      report = url ? await remoteProbe(url, request, token) : await localProbe(dataDir, request, timeoutMs);
    } catch (error) {
      // A disagreement between the modes is natflow's own failure, not bad input.
      if (error instanceof NatflowError && error.name === 'PROBE_DISAGREEMENT') {
        if (values.json)
          printJson(io, { error: { code: error.name, message: error.message, details: error.details } });
        else io.err(`natflow: ${error.name}: ${error.message}`);
        return EXIT_FAILED;
      }
      throw error;
    }
    // Analysis only, not asked for: a real cloud holds what was probed (the report's note says which).
    if (report.note !== undefined && request.mode === undefined) io.err(`natflow: ${report.note}`);
    if (values.json) printJson(io, report);
    else printReport(io.out, request, report);
    const holds = report.verdict === (expect === 'reachable' ? 'REACHABLE' : 'UNREACHABLE');
    return holds ? EXIT_OK : EXIT_FAILED;
  },
};

function parseRequest(values: Record<string, unknown>): ProbeRequest {
  const { from, to, protocol, mode, plan } = values as Record<string, string | undefined>;
  if (!from) throw new UsageError(`--from is required\n${usage}`);
  if (!to) throw new UsageError(`--to is required\n${usage}`);
  if (!protocol || !(PROTOCOLS as readonly string[]).includes(protocol))
    throw new UsageError(`--protocol is http, tcp or udp${protocol ? `, not '${protocol}'` : ''}`);
  if (mode !== undefined && !(MODES as readonly string[]).includes(mode))
    throw new UsageError(`--mode is analyze, live or both, not '${mode}'`);
  const colon = to.lastIndexOf(':');
  const portText = colon < 0 ? '' : to.slice(colon + 1);
  const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
  if (colon <= 0 || !(port >= 1 && port <= 65535))
    throw new UsageError(`--to is DEST:PORT with a port 1–65535 (--to 192.168.0.144:80), not '${to}'`);
  const destination = to.slice(0, colon);
  if (/^[0-9.]+$/.test(destination) && tryParseIpv4(destination) === undefined)
    throw new UsageError(`'${destination}' is not an IPv4 address nor a name`);
  return {
    from,
    to: destination,
    protocol: protocol as ProbeRequest['protocol'],
    port,
    ...(mode ? { mode: mode as ProbeMode } : {}),
    ...(plan ? { plan } : {}),
  };
}

/** Probes in this process: the store's resources, realised as a data plane unless only analysing. */
async function localProbe(
  dataDir: string,
  request: ProbeRequest,
  timeoutMs: number | undefined,
): Promise<ProbeReport> {
  const [{ probeResources }, { openLocalReader }] = await Promise.all([
    import('../../probe/run.ts'),
    import('../local-store.ts'),
  ]);
  const store = openLocalReader(dataDir);
  try {
    if (request.mode === 'analyze') return await probeResources(store, request);
    const { DataPlane } = await import('../../local-dataplane/index.ts');
    const live = new DataPlane(timeoutMs === undefined ? {} : { timeoutMs });
    try {
      return await probeResources(store, request, {
        live,
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      });
    } finally {
      await live.close();
    }
  } finally {
    await store.close();
  }
}

/** Probes through a running stack's API (`POST /probes`), with the CLI's token. */
async function remoteProbe(
  url: string,
  request: ProbeRequest,
  token: string | undefined,
): Promise<ProbeReport> {
  const response = await fetch(new URL('/probes', url), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(request),
  });
  if (response.status === 401) {
    const { unauthorized } = await import('../token.ts');
    throw unauthorized(url, token);
  }
  const document = (await response.json()) as ProbeReport & {
    code?: string;
    detail?: string;
    candidates?: string[];
  };
  if (!response.ok) {
    const error = new NatflowError(document.detail ?? `POST /probes answered ${response.status}`, {
      ...(document.candidates ? { details: { candidates: document.candidates } } : {}),
    });
    error.name = document.code ?? 'VALIDATION_FAILED';
    throw error;
  }
  return document;
}

function printReport(out: (text: string) => void, request: ProbeRequest, report: ProbeReport): void {
  const head = `${request.protocol} ${request.from} → ${request.to}:${request.port}`;
  out(`${head}: ${report.verdict}${report.code ? ` (${report.code} at ${report.component})` : ''}`);
  for (const hop of report.hops) {
    const mark = hop.result === 'pass' ? '✓' : '✗';
    const seen = hop.seenSource ? `  [saw ${hop.seenSource}]` : '';
    const nat = hop.translation ? `  ${hop.translation.src} > ${hop.translation.dst}` : '';
    out(`  ${mark} ${hop.component.padEnd(14)} ${hop.name}: ${hop.detail}${nat}${seen}`);
  }
  if (report.live) {
    const l = report.live;
    out(
      `  live: ${String(l.status)} in ${l.latencyMs} ms${l.responder ? ` from ${l.responder}` : ''}${
        l.via ? ` (${l.via.from} → ${l.via.to})` : ''
      }${l.detail ? ` — ${l.detail}` : ''}`,
    );
  }
}

export default command;
