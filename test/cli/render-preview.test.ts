/**
 * The preview's text (src/cli/render-preview.ts) when a real cloud drifted (docs/preview.md,
 * docs/real-cloud.md#change-drift): a resource gone from the cloud is `+ create … (gone from the cloud)`,
 * a changed one `~ … (drifted)` with one `field: recorded → actual` line per field, a replacement refused
 * `! … DRIFT_REQUIRES_REPLACE` with its fields, and the summary line ends `, N drifted.` — only then.
 */
import { describe, expect, it } from 'vitest';
import { renderPreview, summaryLine } from '../../src/cli/render-preview.ts';
import { type PreviewDocument, summarize } from '../../src/plan/preview.ts';
import type { ActionRow } from '../../src/plan/preview-common.ts';

const EMPTY = { opened: [], closed: [], stillClosed: [], unchanged: 0 };

function previewOf(actions: ActionRow[]): PreviewDocument {
  return { plan: 'app', mode: 'apply', actions, summary: summarize(actions), reachability: EMPTY };
}

describe('Function: renderPreview', () => {
  it('shows a resource gone from the cloud as + create (gone from the cloud), counted as a create', () => {
    // Act
    const preview = previewOf([
      { entry: 'vpcs[0]', kind: 'vpc', name: 'VPC-A', action: 'unchanged', id: 'vpc-1' },
      {
        entry: 'privateNatGateways[0].dnatRules[0]',
        kind: 'dnat-rule',
        name: 'transit-ip-A-tcp-80',
        action: 'create',
        gone: true,
      },
    ]);
    const text = renderPreview(preview);

    // Assess
    expect(text).toMatch(
      /^ {2}\+ dnat-rule +transit-ip-A-tcp-80 +privateNatGateways\[0\]\.dnatRules\[0\] \(gone from the cloud\)$/m,
    );
    expect(preview.summary).toEqual({
      create: 1,
      unchanged: 1,
      differs: 0,
      conflicts: 0,
      existing: 0,
      destroy: 0,
    });
    expect(text.split('\n').at(-1)).toBe('Plan: 1 to create, 1 unchanged, 0 differ, 0 conflicts.');
  });

  it('shows a drifted resource with ~, its id and (drifted), then field: recorded → actual per field', () => {
    // Act
    const preview = previewOf([
      {
        entry: 'privateNatGateways[0]',
        kind: 'private-nat-gateway',
        name: 'gw',
        action: 'drifted',
        id: 'pnat-1',
        address: '10.0.0.5',
        fields: [{ field: 'spec', recorded: 'Small', actual: 'Medium' }],
      },
      {
        entry: 'servers[1]',
        kind: 'security-group',
        name: 'ECS-B-sg',
        action: 'drifted',
        id: 'sg-1',
        fields: [
          {
            field: 'inbound',
            recorded: [{ protocol: 'tcp', fromPort: 80, toPort: 80, source: '10.0.0.0/16' }],
            actual: [],
          },
        ],
      },
    ]);
    const text = renderPreview(preview);

    // Assess
    expect(text).toMatch(
      /^ {2}~ private-nat-gateway +gw +privateNatGateways\[0\] \(10\.0\.0\.5\) pnat-1 \(drifted\)$/m,
    );
    expect(text).toMatch(/^ {8}spec: Small → Medium$/m);
    expect(text).toMatch(
      /^ {8}inbound: \[\{"protocol":"tcp","fromPort":80,"toPort":80,"source":"10\.0\.0\.0\/16"\}\] → \[\]$/m,
    );
    expect(preview.summary).toMatchObject({ create: 0, unchanged: 0, drifted: 2 });
    expect(summaryLine(preview)).toBe('Plan: 0 to create, 0 unchanged, 0 differ, 0 conflicts, 2 drifted.');
    expect(text).toContain('~ drifted');
  });

  it('shows a replacement refused as ! with DRIFT_REQUIRES_REPLACE, its message, then its fields', () => {
    // Act
    const text = renderPreview(
      previewOf([
        {
          entry: 'transitIps[0]',
          kind: 'transit-ip',
          name: 'transit-ip-A',
          action: 'conflict',
          code: 'DRIFT_REQUIRES_REPLACE',
          errors: [
            {
              path: 'transitIps[0]',
              code: 'DRIFT_REQUIRES_REPLACE',
              message: 'only replacing it would repair',
            },
          ],
          fields: [{ field: 'ip', recorded: '192.168.0.144', actual: '192.168.0.145' }],
        },
      ]),
    );

    // Assess
    const lines = text.split('\n');
    const at = lines.findIndex((l) => /^ {2}! transit-ip +transit-ip-A/.test(l));
    expect(lines[at + 1]).toBe(
      '        DRIFT_REQUIRES_REPLACE  transitIps[0]: only replacing it would repair',
    );
    expect(lines[at + 2]).toBe('        ip: 192.168.0.144 → 192.168.0.145');
    expect(lines.at(-1)).toBe('Plan: 0 to create, 0 unchanged, 0 differ, 1 conflicts.');
  });
});
