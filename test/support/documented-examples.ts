import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const CONTRACT = join(__dirname, '..', '..', 'docs', 'zendesk-api.md');

/**
 * The JSON examples of one section of the Zendesk contract (`docs/zendesk-api.md`), parsed from
 * the document itself so tests use them byte for byte. `section` is the heading's number
 * (`8.2`, `10.5`, `Appendix A`); the section runs to the next heading of any level.
 */
export function documentedExamples(section: string): unknown[] {
  const lines = readFileSync(CONTRACT, 'utf8').split('\n');
  const start = lines.findIndex((line) => new RegExp(`^#+ ${escape(section)}[ .]`).test(line));
  if (start < 0) throw new Error(`docs/zendesk-api.md has no section ${section}`);
  const examples: unknown[] = [];
  let block: string[] | null = null;
  for (let i = start + 1; i < lines.length && !/^#+ /.test(lines[i]!); i++) {
    const line = lines[i]!;
    if (block === null) {
      if (line.trim() === '```json') block = [];
    } else if (line.trim() === '```') {
      examples.push(parse(block.join('\n'), section, examples.length));
      block = null;
    } else {
      block.push(line);
    }
  }
  return examples;
}

/** The one JSON example of a section at `index` (0 = the first), as a fresh copy. */
export function documentedExample<T = any>(section: string, index = 0): T {
  const example = documentedExamples(section)[index];
  if (example === undefined)
    throw new Error(`section ${section} of docs/zendesk-api.md has no JSON example ${index}`);
  return example as T;
}

function parse(text: string, section: string, index: number): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(
      `JSON example ${index} of section ${section} in docs/zendesk-api.md does not parse: ${String(error)}`,
      { cause: error },
    );
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
