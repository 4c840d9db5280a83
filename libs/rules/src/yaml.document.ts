import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node, type Pair } from 'yaml';
import { didYouMean, type RuleSetProblem } from './rule-set.errors';
import type { SourcePosition } from './rule-set.model';

/** A YAML node with the document it came from, so any problem can say where it is. */
export class YamlNode {
  constructor(
    readonly node: Node | null,
    readonly doc: YamlDocument,
    readonly label: string,
  ) {}

  position(): SourcePosition {
    return this.doc.position(this.node);
  }

  problem(message: string): void {
    this.doc.problems.push({ ...this.position(), message });
  }

  get value(): unknown {
    return this.node === null ? undefined : (this.node.toJSON() as unknown);
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
      const name = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
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

/** A parsed YAML file whose nodes know their line and column; problems are collected, not thrown. */
export class YamlDocument {
  readonly problems: RuleSetProblem[] = [];
  private readonly lines = new LineCounter();
  readonly root: YamlNode;
  readonly valid: boolean;

  constructor(
    readonly path: string,
    text: string,
    /** How problems name the whole document: "the file", "the scenario". */
    readonly rootLabel: string,
  ) {
    const doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: true, uniqueKeys: true });
    // Later syntax errors are mostly echoes of the first; report the first, where to start fixing.
    const first = doc.errors[0];
    if (first) {
      const at = first.linePos?.[0];
      const message = first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      this.problems.push({
        file: path,
        line: at?.line ?? 1,
        column: at?.col ?? 1,
        message: `YAML: ${message}`,
      });
    }
    this.valid = doc.errors.length === 0;
    this.root = new YamlNode(this.valid ? doc.contents : null, this, rootLabel);
  }

  position(node: Node | null): SourcePosition {
    const pos = this.lines.linePos(node?.range?.[0] ?? 0);
    return { file: this.path, line: pos.line, column: pos.col };
  }
}
