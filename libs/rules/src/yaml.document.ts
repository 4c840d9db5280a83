import {
  LineCounter,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  visit,
  type Alias,
  type Document,
  type Node,
  type Pair,
} from 'yaml';
import { didYouMean, type RuleSetProblem } from './rule-set.errors';
import { DEFAULT_RULE_LIMITS, type RuleLimits } from './rule-set.limits';
import type { SourcePosition } from './rule-set.model';

/** A YAML node with the document it came from, so any problem can say where it is. */
export class YamlNode {
  /** The node itself; an alias stands for the node its anchor names. */
  readonly node: Node | null;

  constructor(
    node: Node | null,
    readonly doc: YamlDocument,
    readonly label: string,
  ) {
    this.node = doc.resolve(node);
  }

  position(): SourcePosition {
    return this.doc.position(this.node);
  }

  problem(message: string): void {
    this.doc.problems.push({ ...this.position(), message });
  }

  get value(): unknown {
    return this.doc.toValue(this.node);
  }

  /** The text a scalar was written as (no quotes), whatever type YAML made of it. */
  get source(): string | null {
    if (!isScalar(this.node)) return null;
    return typeof this.node.source === 'string' ? this.node.source : String(this.node.value);
  }

  isMap(): boolean {
    return isMap(this.node);
  }

  isSeq(): boolean {
    return isSeq(this.node);
  }

  /** Each key of a map with its value, both as nodes. */
  pairs(): Array<{ name: string; key: YamlNode; value: YamlNode }> {
    if (!isMap(this.node)) return [];
    return (this.node.items as Array<Pair<Node, Node | null>>).map((pair) => {
      const name = this.doc.keyName(pair.key);
      return {
        name,
        key: new YamlNode(pair.key, this.doc, name),
        value: new YamlNode(
          pair.value ?? pair.key,
          this.doc,
          this.label === this.doc.rootLabel ? name : `${this.label}.${name}`,
        ),
      };
    });
  }

  /** The entries of a map, after reporting keys that are not in `known` (when given). */
  entries(known?: readonly string[]): Map<string, YamlNode> {
    const out = new Map<string, YamlNode>();
    for (const { name, key, value } of this.pairs()) {
      if (!known || known.includes(name)) {
        out.set(name, value);
        continue;
      }
      const guess = didYouMean(name, known);
      key.problem(`unknown key "${name}" in ${this.label}${guess ? ` (did you mean "${guess}"?)` : ''}`);
    }
    return out;
  }

  items(): YamlNode[] {
    if (!isSeq(this.node)) return [];
    return this.node.items.map((item, i) => new YamlNode(item as Node, this.doc, `${this.label}[${i}]`));
  }
}

/** The limits a document is read under; the string lengths apply only when given. */
export type YamlLimits = Partial<Pick<RuleLimits, 'maxNameLength' | 'maxStringLength' | 'maxAliasNodes'>>;

/**
 * A parsed YAML file whose nodes know their line and column; problems are collected, not thrown.
 * Aliases are followed (an anchor is written once and used in several places), but they may not
 * add more than `maxAliasNodes` nodes in all, nor refer to a node that contains them; keys longer
 * than `maxNameLength` and text longer than `maxStringLength` are problems. A file that breaks a
 * limit is reported for that alone: its content is not read further.
 */
export class YamlDocument {
  readonly problems: RuleSetProblem[] = [];
  private readonly lines = new LineCounter();
  /** Each alias with the node its anchor names (the last one set before it, as YAML says). */
  private readonly anchored = new Map<Alias, Node>();
  readonly root: YamlNode;
  readonly valid: boolean;

  constructor(
    readonly path: string,
    text: string,
    /** How problems name the whole document: "the file", "the scenario". */
    readonly rootLabel: string,
    limits: YamlLimits = {},
  ) {
    const deep = flowDepthExceeded(text);
    // Pretty errors quote the source around the error with regular expressions that a deeply
    // nested file makes exhaust the process's memory; positions come from the line counter.
    const doc = parseDocument(deep === null ? text : '', {
      lineCounter: this.lines,
      prettyErrors: false,
      uniqueKeys: true,
    });
    if (deep !== null) {
      const at = lineAndColumn(text, deep);
      this.problems.push({
        file: path,
        line: at.line,
        column: at.column,
        message: `YAML: brackets nest more than ${MAX_FLOW_DEPTH} levels deep`,
      });
    }
    // Later syntax errors are mostly echoes of the first; report the first, where to start fixing.
    const first = doc.errors[0];
    if (first) {
      const at = this.lines.linePos(first.pos[0]);
      const message = /call stack/i.test(first.message)
        ? 'the file nests too deeply to be read'
        : first.message.split('\n')[0]!;
      this.problems.push({ file: path, line: at.line, column: at.col, message: `YAML: ${message}` });
    }
    this.valid = deep === null && doc.errors.length === 0 && this.withinLimits(doc, limits);
    this.root = new YamlNode(this.valid ? doc.contents : null, this, rootLabel);
  }

  position(node: Node | null): SourcePosition {
    const pos = this.lines.linePos(node?.range?.[0] ?? 0);
    return { file: this.path, line: pos.line, column: pos.col };
  }

  /** The node an alias stands for (any other node is itself). */
  resolve(node: Node | null): Node | null {
    return isAlias(node) ? (this.anchored.get(node) ?? null) : node;
  }

  /** The name a map key is read as. */
  keyName(key: Node | null): string {
    const node = this.resolve(key);
    if (node === null) return '';
    return isScalar(node) ? String(node.value) : JSON.stringify(this.toValue(node));
  }

  /** The plain value of a node, aliases expanded. */
  toValue(node: Node | null): unknown {
    const at = this.resolve(node);
    if (at === null) return undefined;
    if (isScalar(at)) return at.toJSON();
    if (isSeq(at)) return at.items.map((item) => this.toValue(item as Node) ?? null);
    if (isMap(at)) {
      const out: Record<string, unknown> = {};
      for (const pair of at.items as Array<Pair<Node | null, Node | null>>) {
        // defineProperty: a key named __proto__ is a key like any other, not the prototype.
        Object.defineProperty(out, this.keyName(pair.key), {
          value: this.toValue(pair.value) ?? null,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    return undefined;
  }

  private withinLimits(doc: Document, limits: YamlLimits): boolean {
    const before = this.problems.length;
    const maxName = limits.maxNameLength ?? Infinity;
    const maxString = limits.maxStringLength ?? Infinity;
    const anchors = new Map<string, Node>();
    let nodes = 0;
    let firstAlias: Alias | null = null;
    visit(doc, {
      Alias: (_key, alias) => {
        firstAlias ??= alias;
        const target = anchors.get(alias.source);
        if (target) this.anchored.set(alias, target);
        else
          this.problem(
            alias,
            `YAML: alias *${alias.source} names no anchor (&${alias.source}) set before it`,
          );
        nodes += 1;
      },
      Node: (_key, node) => {
        if (node.anchor) anchors.set(node.anchor, node);
        nodes += 1;
      },
      Scalar: (key, scalar) => {
        if (scalar.anchor) anchors.set(scalar.anchor, scalar);
        nodes += 1;
        if (typeof scalar.value !== 'string') return;
        const limit = key === 'key' ? maxName : maxString;
        if (scalar.value.length > limit)
          this.problem(
            scalar,
            `${key === 'key' ? 'a key' : 'text'} of ${scalar.value.length} characters is longer than the ${limit} allowed`,
          );
      },
    });
    if (firstAlias) {
      const added = this.expandedSize(doc.contents) - nodes;
      const maxAdded = limits.maxAliasNodes ?? DEFAULT_RULE_LIMITS.maxAliasNodes;
      if (added > maxAdded)
        this.problem(
          firstAlias,
          `YAML aliases (*name) expand the file by ${Number.isFinite(added) ? added : 'endless'} nodes, more than the ${maxAdded} allowed`,
        );
    }
    return this.problems.length === before;
  }

  /** Nodes in `root` with every alias expanded; an alias inside the node it names is endless. */
  private expandedSize(root: Node | null): number {
    const sizes = new Map<Node, number>();
    const open = new Set<Node>();
    const size = (node: Node | null): number => {
      if (node === null) return 0;
      if (isAlias(node)) {
        const target = this.anchored.get(node);
        return target ? size(target) : 1;
      }
      const known = sizes.get(node);
      if (known !== undefined) return known;
      if (open.has(node)) return Infinity;
      open.add(node);
      let total = 1;
      if (isSeq(node)) for (const item of node.items) total += size(item as Node);
      if (isMap(node))
        for (const pair of node.items as Array<Pair<Node | null, Node | null>>)
          total += size(pair.key) + size(pair.value);
      open.delete(node);
      sizes.set(node, total);
      return total;
    };
    return size(root);
  }

  private problem(node: Node, message: string): void {
    this.problems.push({ ...this.position(node), message });
  }
}

/** `[` and `{` levels a file may open; YAML's reader recurses once per level. */
const MAX_FLOW_DEPTH = 100;

/**
 * Where the brackets of a file first nest deeper than `MAX_FLOW_DEPTH`, or null. A quick scan
 * before the parser, which takes seconds to find out the same by running out of stack: quoted
 * text and comments are skipped, and a bracket that closes nothing is ignored.
 */
function flowDepthExceeded(text: string): number | null {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      for (i++; i < text.length && text[i] !== c; i++) if (c === '"' && text[i] === '\\') i++;
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '[' || c === '{') {
      if (++depth > MAX_FLOW_DEPTH) return i;
    } else if ((c === ']' || c === '}') && depth > 0) {
      depth--;
    }
  }
  return null;
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}
