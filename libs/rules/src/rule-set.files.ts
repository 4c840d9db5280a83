import { lstat, readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { RuleSetError, type RuleSetProblem } from './rule-set.errors';
import { DEFAULT_RULE_LIMITS, formatBytes, type RuleLimits } from './rule-set.limits';
import type { RuleFile } from './rule-set.parser';

const RULE_FILE = /\.(ya?ml|json)$/i;
/** Files in the rules directory that are not rules. */
const NOT_RULES = new Set(['schema.json']);
/**
 * The link a Kubernetes ConfigMap mount swaps atomically to publish a new version: every file is
 * a symlink through it into a hidden, timestamped directory.
 */
const CONFIGMAP_DATA = '..data';

/**
 * The names of a directory's rule files: `*.yaml`, `*.yml` and `*.json` (not `schema.json`),
 * regular files or symlinks to them, in name order. Hidden entries are not rules: a ConfigMap
 * mount's `..data` and `..2026_…` directories hold the same files a second time.
 */
async function ruleFileNames(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true });
  return entries
    .filter(
      (e) =>
        (e.isFile() || e.isSymbolicLink()) &&
        !e.name.startsWith('.') &&
        RULE_FILE.test(e.name) &&
        !NOT_RULES.has(e.name),
    )
    .map((e) => e.name)
    .sort();
}

/**
 * The rule files of a directory (not its subdirectories, where scenario tests live), by name,
 * symlinks followed. A file larger than `limits.maxFileBytes`, a link to nothing or to a
 * directory is a problem; every such problem is thrown at once, as a `RuleSetError`.
 */
export async function readRuleFiles(
  directory: string,
  limits: RuleLimits = DEFAULT_RULE_LIMITS,
): Promise<RuleFile[]> {
  const problems: RuleSetProblem[] = [];
  const files: RuleFile[] = [];
  for (const name of await ruleFileNames(directory)) {
    const path = join(directory, name);
    const problem = (message: string) => problems.push({ file: path, line: 1, column: 1, message });
    let size: number;
    try {
      const info = await stat(path);
      if (!info.isFile()) {
        problem('is a link to a directory, not a rule file');
        continue;
      }
      size = info.size;
    } catch (error) {
      problem(`is a link to nothing (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
      continue;
    }
    if (size > limits.maxFileBytes) {
      problem(tooBig(size, limits));
      continue;
    }
    const text = await readFile(path, 'utf8');
    // It may have grown since it was measured.
    const bytes = Buffer.byteLength(text);
    if (bytes > limits.maxFileBytes) problem(tooBig(bytes, limits));
    else files.push({ path, text });
  }
  if (problems.length > 0) throw new RuleSetError(problems);
  return files;
}

function tooBig(bytes: number, limits: RuleLimits): string {
  return `the file is ${formatBytes(bytes)}, larger than the ${formatBytes(limits.maxFileBytes)} a rule file may be`;
}

/**
 * What changes when a rule file in `directory` does: each file's name, size, modification time
 * and inode (symlinks followed), and where a ConfigMap's `..data` points. Cheap enough to compare
 * every few seconds, for the changes a file watch does not see.
 */
export async function ruleDirectorySignature(directory: string): Promise<string> {
  const parts: string[] = [];
  for (const name of await ruleFileNames(directory)) {
    try {
      const info = await stat(join(directory, name));
      parts.push(`${name}:${info.size}:${info.mtimeMs}:${info.ino}`);
    } catch {
      parts.push(`${name}:missing`);
    }
  }
  try {
    const data = join(directory, CONFIGMAP_DATA);
    if ((await lstat(data)).isSymbolicLink()) parts.push(`${CONFIGMAP_DATA}->${await readlink(data)}`);
  } catch {
    // Not a ConfigMap mount.
  }
  return parts.join('\n');
}
