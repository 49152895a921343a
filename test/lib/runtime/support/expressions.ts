/**
 * A small evaluator of DynamoDB expressions (condition, key condition, filter, update) for the in-memory fake.
 * Stricter than DynamoDB on purpose: every attribute name must be a `#placeholder`, so that code which would
 * trip over a reserved word (status, system, ttl, ...) fails here too.
 */
export type Item = Record<string, unknown>;
type Names = Record<string, string> | undefined;
type Values = Record<string, unknown> | undefined;

interface Token {
  kind: 'name' | 'value' | 'word' | 'punct' | 'number';
  text: string;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(#[A-Za-z0-9_]+)|(:[A-Za-z0-9_]+)|([A-Za-z_][A-Za-z0-9_]*)|(\d+)|(<>|<=|>=|[=<>(),.[\]+-]))/y;
  let index = 0;
  while (index < text.length) {
    re.lastIndex = index;
    const m = re.exec(text);
    if (!m) {
      if (/^\s*$/.test(text.slice(index))) break;
      throw validation(`cannot parse expression at "${text.slice(index)}"`);
    }
    index = re.lastIndex;
    if (m[1]) tokens.push({ kind: 'name', text: m[1] });
    else if (m[2]) tokens.push({ kind: 'value', text: m[2] });
    else if (m[3]) tokens.push({ kind: 'word', text: m[3] });
    else if (m[4]) tokens.push({ kind: 'number', text: m[4] });
    else if (m[5]) tokens.push({ kind: 'punct', text: m[5] });
  }
  return tokens;
}

export function validation(message: string): Error {
  const error = new Error(message);
  error.name = 'ValidationException';
  return error;
}

type Path = (string | number)[];

class Parser {
  private i = 0;
  public constructor(
    private readonly tokens: Token[],
    private readonly names: Names,
    private readonly values: Values,
    public readonly usedNames = new Set<string>(),
    public readonly usedValues = new Set<string>(),
  ) {}

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }
  private next(): Token {
    const t = this.tokens[this.i++];
    if (!t) throw validation('unexpected end of expression');
    return t;
  }
  private isWord(word: string): boolean {
    const t = this.peek();
    return t?.kind === 'word' && t.text.toUpperCase() === word;
  }
  private expect(text: string): void {
    const t = this.next();
    if (t.text !== text) throw validation(`expected "${text}", got "${t.text}"`);
  }
  public done(): boolean {
    return this.i >= this.tokens.length;
  }

  public path(): Path {
    const segments: Path = [this.segment()];
    for (;;) {
      const t = this.peek();
      if (t?.text === '.') {
        this.next();
        segments.push(this.segment());
      } else if (t?.text === '[') {
        this.next();
        segments.push(Number(this.next().text));
        this.expect(']');
      } else return segments;
    }
  }
  private segment(): string {
    const t = this.next();
    if (t.kind === 'word') throw validation(`attribute name "${t.text}" must be an expression attribute name (#placeholder) in this fake`);
    if (t.kind !== 'name') throw validation(`expected an attribute name, got "${t.text}"`);
    const name = this.names?.[t.text];
    if (name === undefined) throw validation(`expression attribute name ${t.text} is not defined`);
    this.usedNames.add(t.text);
    return name;
  }
  private value(): unknown {
    const t = this.next();
    if (!this.values || !(t.text in this.values)) throw validation(`expression attribute value ${t.text} is not defined`);
    this.usedValues.add(t.text);
    return this.values[t.text];
  }

  /** An operand: a path or a value; returns a getter. */
  public operand(): (item: Item) => unknown {
    const t = this.peek();
    if (t?.kind === 'value') {
      const v = this.value();
      return () => v;
    }
    if (t?.kind === 'word' && t.text === 'if_not_exists') {
      this.next();
      this.expect('(');
      const p = this.path();
      this.expect(',');
      const other = this.operand();
      this.expect(')');
      return (item) => {
        const current = getPath(item, p);
        return current === undefined ? other(item) : current;
      };
    }
    if (t?.kind === 'word' && t.text === 'list_append') {
      this.next();
      this.expect('(');
      const a = this.operand();
      this.expect(',');
      const b = this.operand();
      this.expect(')');
      return (item) => [...((a(item) as unknown[]) ?? []), ...((b(item) as unknown[]) ?? [])];
    }
    const p = this.path();
    return (item) => getPath(item, p);
  }

  public condition(): (item: Item | undefined) => boolean {
    let left = this.conjunction();
    while (this.isWord('OR')) {
      this.next();
      const l = left;
      const r = this.conjunction();
      left = (item) => l(item) || r(item);
    }
    return left;
  }
  private conjunction(): (item: Item | undefined) => boolean {
    let left = this.negation();
    while (this.isWord('AND')) {
      this.next();
      const l = left;
      const r = this.negation();
      left = (item) => l(item) && r(item);
    }
    return left;
  }
  private negation(): (item: Item | undefined) => boolean {
    if (this.isWord('NOT')) {
      this.next();
      const inner = this.negation();
      return (item) => !inner(item);
    }
    return this.primary();
  }
  private primary(): (item: Item | undefined) => boolean {
    const t = this.peek();
    if (t?.text === '(') {
      this.next();
      const inner = this.condition();
      this.expect(')');
      return inner;
    }
    if (t?.kind === 'word' && ['attribute_exists', 'attribute_not_exists', 'begins_with', 'contains'].includes(t.text)) {
      this.next();
      this.expect('(');
      const p = this.path();
      let arg: ((item: Item) => unknown) | undefined;
      if (this.peek()?.text === ',') {
        this.next();
        arg = this.operand();
      }
      this.expect(')');
      switch (t.text) {
        case 'attribute_exists':
          return (item) => getPath(item ?? {}, p) !== undefined;
        case 'attribute_not_exists':
          return (item) => getPath(item ?? {}, p) === undefined;
        case 'begins_with':
          return (item) => {
            const v = getPath(item ?? {}, p);
            const prefix = arg!(item ?? {});
            return typeof v === 'string' && typeof prefix === 'string' && v.startsWith(prefix);
          };
        default:
          return (item) => {
            const v = getPath(item ?? {}, p);
            const x = arg!(item ?? {});
            return (typeof v === 'string' && typeof x === 'string' && v.includes(x)) || (Array.isArray(v) && v.includes(x));
          };
      }
    }
    const left = this.operand();
    if (this.isWord('BETWEEN')) {
      this.next();
      const lo = this.operand();
      if (!this.isWord('AND')) throw validation('expected AND in BETWEEN');
      this.next();
      const hi = this.operand();
      return (item) => compare(left(item ?? {}), lo(item ?? {}), '>=') && compare(left(item ?? {}), hi(item ?? {}), '<=');
    }
    const op = this.next().text;
    if (!['=', '<>', '<', '<=', '>', '>='].includes(op)) throw validation(`expected a comparator, got "${op}"`);
    const right = this.operand();
    return (item) => compare(left(item ?? {}), right(item ?? {}), op);
  }

  /** SET / REMOVE clauses; returns a mutator. */
  public update(): (item: Item) => void {
    const actions: ((item: Item) => void)[] = [];
    while (!this.done()) {
      const clause = this.next();
      const word = clause.text.toUpperCase();
      if (word === 'SET') {
        do {
          if (this.peek()?.text === ',') this.next();
          const p = this.path();
          this.expect('=');
          let value = this.operand();
          const t = this.peek();
          if (t?.text === '+' || t?.text === '-') {
            this.next();
            const l = value;
            const r = this.operand();
            value = t.text === '+' ? (item) => Number(l(item)) + Number(r(item)) : (item) => Number(l(item)) - Number(r(item));
          }
          const v = value;
          actions.push((item) => setPath(item, p, structuredClone(v(item))));
        } while (this.peek()?.text === ',');
      } else if (word === 'REMOVE') {
        do {
          if (this.peek()?.text === ',') this.next();
          const p = this.path();
          actions.push((item) => removePath(item, p));
        } while (this.peek()?.text === ',');
      } else throw validation(`unsupported update clause "${clause.text}"`);
    }
    return (item) => {
      for (const action of actions) action(item);
    };
  }
}

function compare(a: unknown, b: unknown, op: string): boolean {
  if (op === '=') return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
  if (op === '<>') return a !== undefined && JSON.stringify(a) !== JSON.stringify(b);
  if (a === undefined || b === undefined || typeof a !== typeof b || (typeof a !== 'number' && typeof a !== 'string')) return false;
  const x = a;
  const y = b as number | string;
  switch (op) {
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    default:
      return x >= y;
  }
}

export function getPath(item: Item, path: Path): unknown {
  let node: unknown = item;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

function setPath(item: Item, path: Path, value: unknown): void {
  let node: Record<string | number, unknown> = item;
  for (const segment of path.slice(0, -1)) {
    const next = node[segment];
    if (next === null || typeof next !== 'object')
      throw validation('The document path provided in the update expression is invalid for update');
    node = next as Record<string | number, unknown>;
  }
  node[path[path.length - 1]] = value;
}

function removePath(item: Item, path: Path): void {
  const parent = getPath(item, path.slice(0, -1));
  if (parent && typeof parent === 'object') delete (parent as Record<string | number, unknown>)[path[path.length - 1]];
}

function projector(paths: readonly Path[] | undefined): ((item: Item) => Item) | undefined {
  if (paths === undefined) return undefined;
  return (item) => {
    const out: Item = {};
    for (const path of paths) {
      const value = getPath(item, path);
      if (value === undefined) continue;
      let node: Record<string | number, unknown> = out;
      for (const segment of path.slice(0, -1)) node = (node[segment] ??= {}) as Record<string | number, unknown>;
      node[path[path.length - 1]] = structuredClone(value);
    }
    return out;
  };
}

function checkAllUsed(parser: Parser, names: Names, values: Values): void {
  const unusedNames = Object.keys(names ?? {}).filter((n) => !parser.usedNames.has(n));
  const unusedValues = Object.keys(values ?? {}).filter((v) => !parser.usedValues.has(v));
  if (unusedNames.length) throw validation(`unused expression attribute names: ${unusedNames.join(', ')}`);
  if (unusedValues.length) throw validation(`unused expression attribute values: ${unusedValues.join(', ')}`);
}

export interface Expressions {
  readonly condition?: string;
  readonly update?: string;
  readonly key?: string;
  readonly filter?: string;
  /** ProjectionExpression: comma-separated paths. */
  readonly projection?: string;
  readonly names?: Record<string, string>;
  readonly values?: Record<string, unknown>;
}

export interface Compiled {
  readonly condition?: (item: Item | undefined) => boolean;
  readonly update?: (item: Item) => void;
  readonly key?: (item: Item | undefined) => boolean;
  readonly filter?: (item: Item | undefined) => boolean;
  /** The item with only the projected paths (top-level attributes and nested map paths). */
  readonly project?: (item: Item) => Item;
}

/** Compiles the expressions of one request; like DynamoDB, refuses names or values that no expression uses. */
export function compile(expressions: Expressions): Compiled {
  const used = { names: new Set<string>(), values: new Set<string>() };
  const parse = <T>(text: string | undefined, fn: (p: Parser) => T): T | undefined => {
    if (text === undefined) return undefined;
    const parser = new Parser(tokenize(text), expressions.names, expressions.values, used.names, used.values);
    const result = fn(parser);
    if (!parser.done()) throw validation(`unexpected tokens at the end of "${text}"`);
    return result;
  };
  const compiled: Compiled = {
    condition: parse(expressions.condition, (p) => p.condition()),
    update: parse(expressions.update, (p) => p.update()),
    key: parse(expressions.key, (p) => p.condition()),
    filter: parse(expressions.filter, (p) => p.condition()),
    project: projector(expressions.projection?.split(',').map((part) => parse(part, (p) => p.path())!)),
  };
  const probe = new Parser([], expressions.names, expressions.values, used.names, used.values);
  checkAllUsed(probe, expressions.names, expressions.values);
  return compiled;
}
