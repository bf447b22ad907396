// Every relative link in the README, docs/, bench/README.md and bench/results.md points at a
// file in the repository, and a `#fragment` at a heading of that file (with
// GitHub's heading ids).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const root = fileURLToPath(new URL('..', import.meta.url));
const documents = [
  'README.md',
  'bench/README.md',
  'bench/results.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** The text outside fenced code blocks and inline code, where links live. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's ids for the headings of a Markdown file. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const ids = new Set<string>();
  for (const [, heading] of prose(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = heading!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    ids.add(n ? `${base}-${n}` : base);
  }
  return ids;
}

// Headings with inline code keep the code's text in their id.
const headingText = (markdown: string) => markdown.replace(/^(#{1,6}\s.*)$/gm, (line) => line.replaceAll('`', ''));

t.test('documents exist', async (t) => {
  for (const doc of documents) t.ok(existsSync(join(root, doc)), doc);
  t.ok(documents.length >= 6, 'README, bench/README.md, bench/results.md and docs/*.md');
});

for (const doc of documents) {
  t.test(doc, async (t) => {
    const text = readFileSync(join(root, doc), 'utf8');
    const links = [...prose(text).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
    for (const link of links) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // http:, https:, mailto:
      const [path, fragment] = link.split('#', 2) as [string, string | undefined];
      const target = path ? join(dirname(join(root, doc)), decodeURIComponent(path)) : join(root, doc);
      const shown = relative(root, target) || '.';
      if (!existsSync(target)) {
        t.fail(`${link}: ${shown} does not exist`);
        continue;
      }
      if (fragment !== undefined) {
        const isMarkdown = statSync(target).isFile() && target.endsWith('.md');
        t.ok(isMarkdown, `${link}: a #fragment on a Markdown file`);
        if (isMarkdown) {
          const ids = anchors(headingText(readFileSync(target, 'utf8')));
          t.ok(ids.has(fragment), `${link}: ${shown} has a heading #${fragment}`);
        }
      } else {
        t.pass(`${link}`);
      }
    }
  });
}
