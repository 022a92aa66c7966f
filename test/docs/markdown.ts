/**
 * Reading Markdown as a reader of the repository does (test/docs/links.test.ts): headings and the anchors
 * GitHub gives them, relative links outside code, and the citations nobody holding only the repository
 * can follow.
 */
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The text without fenced code blocks (their lines blanked, so line numbers stay). */
export function withoutFences(text: string): string {
  let inFence = false;
  return text
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) {
        inFence = !inFence;
        return '';
      }
      return inFence ? '' : line;
    })
    .join('\n');
}

/** The text without fenced blocks and inline code spans: what a reader sees as prose and links. */
export function prose(text: string): string {
  return withoutFences(text).replace(/`[^`\n]*`/g, (span) => ' '.repeat(span.length));
}

/**
 * The anchor GitHub gives a heading: its text (links reduced to their text, code kept, markup dropped)
 * in lower case, every character but letters, digits, spaces, `-` and `_` removed, each space a `-`.
 *
 * @example slugOf('`POST /plans/validate`') // 'post-plansvalidate'
 */
export function slugOf(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a Markdown text's headings, duplicates numbered as GitHub numbers them (`-1`, `-2`). */
export function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutFences(text).split('\n')) {
    const heading = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = slugOf(heading);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** The relative link targets of a Markdown text (outside code), with their line numbers. */
export function linksOf(text: string): { target: string; line: number }[] {
  const links: { target: string; line: number }[] = [];
  prose(text)
    .split('\n')
    .forEach((line, index) => {
      for (const match of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
        const target = match[1] as string;
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, …
        links.push({ target, line: index + 1 });
      }
    });
  return links;
}

/** What is wrong with the relative links of `file` (a path relative to the root), one line each. */
export function brokenLinks(
  file: string,
  text: string,
  read: (path: string) => string | undefined,
): string[] {
  const problems: string[] = [];
  for (const { target, line } of linksOf(text)) {
    const [pathPart = '', anchor] = target.split('#', 2) as [string, string | undefined];
    const path = pathPart === '' ? file : relative(ROOT, resolve(ROOT, dirname(file), decodeURI(pathPart)));
    const where = `${file}:${line} → ${target}`;
    if (path.startsWith('..')) {
      problems.push(`${where}: points outside the repository`);
      continue;
    }
    const content = read(path);
    if (content === undefined) {
      problems.push(`${where}: no file ${path}`);
      continue;
    }
    if (anchor && path.endsWith('.md') && !anchorsOf(content).has(decodeURIComponent(anchor))) {
      problems.push(`${where}: no heading #${anchor} in ${path}`);
    }
  }
  return problems;
}

/** Citations a reader of the repository cannot follow: tracker numbers, the design document outside it. */
const UNREADABLE_CITATIONS: readonly { name: string; pattern: RegExp }[] = [
  { name: 'a tracker issue number', pattern: /\b(?:issues?|pull requests?|PRs?)\s+#?\d+/gi },
  { name: 'a tracker number', pattern: /(?<![\w&/#.-])#\d+(?![\w-])/g },
  {
    name: 'the design document outside the repository',
    pattern: /\bDESIGN(?:\.md)?\s*§|\bDESIGN\.md\b|shared\/DESIGN/g,
  },
];

/** Each citation of `text` that no reader of the repository can follow, as `file:line: "excerpt" (kind)`. */
export function unreadableCitations(file: string, text: string): string[] {
  const found: string[] = [];
  text.split('\n').forEach((line, index) => {
    for (const { name, pattern } of UNREADABLE_CITATIONS) {
      for (const match of line.matchAll(pattern)) found.push(`${file}:${index + 1}: "${match[0]}" (${name})`);
    }
  });
  return found;
}
