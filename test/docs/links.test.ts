/**
 * The documentation holds together on its own: every relative link of README.md and docs/*.md reaches a
 * file of the repository (and, with `#anchor`, a heading of that file, as GitHub names headings), and
 * none of them cites what a reader of the repository cannot open — the tracker's issue numbers, or a
 * design document outside the repository. Each check is tried on a sample that breaks it, so it can fail.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { anchorsOf, brokenLinks, linksOf, ROOT, slugOf, unreadableCitations } from './markdown.ts';

/** README.md and every Markdown file of docs/, relative to the root. */
function documents(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs.sort()];
}

function readRepositoryFile(path: string): string | undefined {
  const full = join(ROOT, path);
  if (!existsSync(full)) return undefined;
  try {
    return readFileSync(full, 'utf8');
  } catch {
    return ''; // a directory: it exists, and has no headings
  }
}

describe('Docs: README.md and docs/*.md', () => {
  const files = documents();

  it('finds the documents it checks', () => {
    expect(files).toContain('README.md');
    expect(files).toContain('docs/README.md');
    expect(files.length).toBeGreaterThan(10);
  });

  it('has no relative link to a missing file or heading', () => {
    const problems = files.flatMap((file) =>
      brokenLinks(file, readFileSync(join(ROOT, file), 'utf8'), readRepositoryFile),
    );
    expect(problems).toEqual([]);
  });

  it('cites no tracker number and no document outside the repository', () => {
    const found = files.flatMap((file) => unreadableCitations(file, readFileSync(join(ROOT, file), 'utf8')));
    expect(found).toEqual([]);
  });

  it('indexes every document of docs/ in docs/README.md', () => {
    const index = readFileSync(join(ROOT, 'docs/README.md'), 'utf8');
    const linked = new Set(linksOf(index).map(({ target }) => target.split('#')[0]));
    const missing = files
      .filter((f) => f.startsWith('docs/') && f !== 'docs/README.md')
      .filter((f) => !linked.has(f.slice(5)));
    expect(missing).toEqual([]);
  });
});

describe('Docs: the checks themselves', () => {
  it.each([
    { heading: 'Rules the control plane enforces', anchor: 'rules-the-control-plane-enforces' },
    { heading: '`POST /plans/validate`', anchor: 'post-plansvalidate' },
    { heading: '`GET /executions/{id}/history`', anchor: 'get-executionsidhistory' },
    { heading: "A real cloud's refusals", anchor: 'a-real-clouds-refusals' },
    { heading: '`onFailure: keep` and redrive', anchor: 'onfailure-keep-and-redrive' },
    { heading: 'Change (drift)', anchor: 'change-drift' },
    { heading: '`existing:` — what exists', anchor: 'existing--what-exists' },
    { heading: 'The [probe](probe.md) and `NATFLOW_TOKEN`', anchor: 'the-probe-and-natflow_token' },
  ])('names the heading "$heading" #$anchor', ({ heading, anchor }) => {
    expect(slugOf(heading)).toBe(anchor);
  });

  it('numbers repeated headings and ignores headings in code blocks', () => {
    const anchors = anchorsOf('# A\n## Same\n```sh\n# not a heading\n```\n## Same\n');
    expect([...anchors]).toEqual(['a', 'same', 'same-1']);
  });

  it('reports a missing file, a missing heading and a way out of the repository, not a good link', () => {
    // Prepare
    const files: Record<string, string> = { 'docs/a.md': '# Top\n## Here\n', 'docs/b.json': '{}' };
    const text = [
      '[ok](a.md#here) [ok](b.json) [ok](#top) [web](https://example.com/x.md#nowhere)',
      '[gone](missing.md) [no anchor](a.md#there) [out](../../etc/passwd) `[code](nope.md)`',
    ].join('\n');
    // Act
    const problems = brokenLinks('docs/a.md', `# Top\n${text}`, (path) => files[path]);
    // Assess
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/missing\.md: no file docs\/missing\.md/);
    expect(problems[1]).toMatch(/a\.md#there: no heading #there/);
    expect(problems[2]).toMatch(/points outside the repository/);
  });

  it.each([
    'as issue 14 says',
    'fixed by issue 15: the dry run',
    "issue 18's redrive",
    'the findings (#16) lists',
    'Issue 9 §4',
    'see DESIGN §8.1',
    'read ../shared/DESIGN.md',
  ])('finds the unreadable citation in "%s"', (line) => {
    expect(unreadableCitations('x.md', line)).not.toEqual([]);
  });

  it.each([
    'see [errors](error-codes.md#rules-the-control-plane-enforces)',
    'item 7 of the list; 14 issues; `natflow:token`',
    'the gateway `#ipv4` subnet id, spec §3 of RFC 5382',
  ])('lets "%s" be', (line) => {
    expect(unreadableCitations('x.md', line)).toEqual([]);
  });
});
