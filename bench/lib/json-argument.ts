import { readFileSync } from 'node:fs';

/** The summary scripts' command line: a JSON file (a profile or a snapshot), then how many rows to print. */
export function readJsonArgument<T>(usage: string, defaultTop: number): { file: string; data: T; top: number } {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error(`usage: ${usage}`);
    process.exit(2);
  }
  return { file, data: JSON.parse(readFileSync(file, 'utf8')) as T, top: Number(top ?? defaultTop) };
}
