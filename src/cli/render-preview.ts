/**
 * A preview in the Terraform habit (docs/preview.md): one line per resource with its action's symbol, the
 * problems under the entry they belong to, the paths that change, and the summary line last.
 *
 *     + vpc              VPC-A                 vpcs[0]
 *     ! dnat-rule        transit-ip-A-tcp-80   privateNatGateways[0].dnatRules[0]
 *         DNAT_PORT_CONFLICT  transitPort: transit IP transit-ip-A (192.168.0.144) already forwards tcp 80
 *     + opened        ECS-A → 192.168.0.144:80/tcp   (before: NOT_A_TRANSIT_IP)
 *     Plan: 14 to create, 0 unchanged, 0 differ, 0 conflicts.
 *
 * Drift on a real cloud (docs/real-cloud.md#change-drift): a resource gone from the cloud is `+ create`
 * with `(gone from the cloud)`; a changed one is `~ … (drifted)` with `field: recorded → actual` under it.
 *
 * Colour only when stdout is a terminal and NO_COLOR is unset (render.ts decides once).
 */
import { show } from '../cloud/drift.ts';
import type { ActionRow, PreviewAction, PreviewDocument, ReachabilityPath } from '../plan/preview.ts';
import { bold, dim, green, red, yellow } from './render.ts';

const SYMBOL: Readonly<Record<PreviewAction, string>> = {
  create: '+',
  unchanged: '=',
  differs: '~',
  drifted: '~',
  conflict: '!',
  existing: '·',
  destroy: '-',
};

const PAINT: Readonly<Record<PreviewAction, (text: string) => string>> = {
  create: green,
  unchanged: dim,
  differs: yellow,
  drifted: yellow,
  conflict: red,
  existing: dim,
  destroy: red,
};

/**
 * `Plan: N to create, M unchanged, D differ, K conflicts.` — the contract's line, exactly; when the
 * cloud drifted, `…, K conflicts, X drifted.` (docs/preview.md).
 */
export function summaryLine(preview: PreviewDocument): string {
  const s = preview.summary;
  const drifted = s.drifted ? `, ${s.drifted} drifted` : '';
  return `Plan: ${s.create} to create, ${s.unchanged} unchanged, ${s.differs} differ, ${s.conflicts} conflicts${drifted}.`;
}

function isImplicit(row: ActionRow): boolean {
  return row.kind === 'security-group' || row.kind === 'listener';
}

function actionLines(rows: readonly ActionRow[]): string[] {
  const kindWidth = Math.max(4, ...rows.map((r) => r.kind.length));
  const nameWidth = Math.max(4, ...rows.map((r) => r.name.length + (isImplicit(r) ? 2 : 0)));
  const lines: string[] = [];
  for (const row of rows) {
    const paint = PAINT[row.action];
    const indent = isImplicit(row) ? '  ' : '';
    const detail = [
      row.entry,
      row.address ? `(${row.address})` : '',
      row.action === 'unchanged' ||
      row.action === 'existing' ||
      row.action === 'destroy' ||
      row.action === 'drifted'
        ? (row.id ?? '')
        : '',
      row.gone ? '(gone from the cloud)' : '',
      row.action === 'drifted' ? '(drifted)' : '',
    ]
      .filter(Boolean)
      .join(' ');
    lines.push(
      `  ${paint(SYMBOL[row.action])} ${paint(`${indent}${row.kind}`.padEnd(kindWidth + 2))} ${`${indent}${row.name}`.padEnd(nameWidth)}  ${dim(detail)}`,
    );
    for (const issue of row.errors ?? []) {
      lines.push(`        ${paint(issue.code)}  ${issue.path ? `${issue.path}: ` : ''}${issue.message}`);
    }
    // Drift, Terraform-style: `field: recorded → actual`, one a line.
    for (const f of row.fields ?? [])
      lines.push(`        ${paint(`${f.field}: ${show(f.recorded)} → ${show(f.actual)}`)}`);
  }
  return lines;
}

function describe(path: ReachabilityPath): string {
  return `${path.from} → ${path.to}/${path.protocol}`;
}

function codeOf(state: ReachabilityPath['before']): string {
  return state.verdict === 'REACHABLE' ? 'reachable' : (state.code ?? 'unreachable');
}

/** The human preview, line by line. */
export function renderPreview(preview: PreviewDocument): string {
  const lines: string[] = [];
  const verb = preview.mode === 'destroy' ? 'tearing down' : 'provisioning';
  lines.push(bold(`natflow plan: ${verb} ${preview.plan} would perform these actions`));
  lines.push(
    dim(
      `  ${green('+')} create  ${dim('=')} unchanged  ${yellow('~')} differs  ${yellow('~')} drifted  ${red('!')} conflict  ${dim('·')} existing  ${red('-')} destroy`,
    ),
  );
  lines.push('');
  if (preview.actions.length === 0) lines.push(dim('  (no resource entries)'));
  else lines.push(...actionLines(preview.actions));

  const r = preview.reachability;
  lines.push('');
  lines.push(bold("Reachability (every path the plan's DNAT rules touch):"));
  const width = Math.max(0, ...[...r.opened, ...r.closed, ...r.stillClosed].map((p) => describe(p).length));
  for (const path of r.opened)
    lines.push(
      `  ${green('+ opened      ')} ${describe(path).padEnd(width)}  ${dim(`before: ${codeOf(path.before)}`)}`,
    );
  for (const path of r.closed)
    lines.push(
      `  ${red('- closed      ')} ${describe(path).padEnd(width)}  ${dim(`after: ${codeOf(path.after)}`)}`,
    );
  for (const path of r.stillClosed)
    lines.push(
      `  ${yellow('! still closed')} ${describe(path).padEnd(width)}  ${yellow(codeOf(path.after))}`,
    );
  lines.push(`  ${dim(`= ${r.unchanged} path${r.unchanged === 1 ? '' : 's'} unchanged`)}`);
  lines.push('');
  if (preview.mode === 'destroy') lines.push(`Destroy: ${preview.summary.destroy} to destroy.`);
  lines.push(bold(summaryLine(preview)));
  return lines.join('\n');
}
