/**
 * Reads a YAML or JSON document and keeps a map back to its source, so that every problem found later can
 * be reported as file:line:column. YAML is parsed by `yaml`, JSON by `jsonc-parser` in strict JSON mode.
 */
import { readFileSync } from 'node:fs';
import * as jsonc from 'jsonc-parser';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { DocumentError, FileError, type Issue } from '../errors';

export type PathSegment = string | number;

export interface Position {
  readonly line: number;
  readonly column: number;
}

export interface SourceDocument {
  readonly file: string;
  readonly data: unknown;
  /**
   * Where the value at `path` starts; with `key: true`, where the key naming it starts. Falls back to the
   * nearest ancestor that exists (for a missing key, the object that lacks it).
   */
  locate(path: readonly PathSegment[], options?: { key?: boolean }): Position | undefined;
}

/** Reads a policy (or any input document) from disk. Missing and unreadable files are a `FileError`. */
export function readSourceFile(file: string, what = 'document'): SourceDocument {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory, expected a file'
          : `cannot read it (${code ?? 'unknown error'})`;
    throw new FileError(`${file}: ${reason}`, { cause: error });
  }
  return parseSource(text, file, what);
}

/** Parses text as JSON when the file name ends in .json, as YAML otherwise. */
export function parseSource(text: string, file = '<input>', what = 'document'): SourceDocument {
  try {
    return /\.json$/i.test(file) ? parseJson(text, file, what) : parseYaml(text, file, what);
  } catch (error) {
    // A document nested deeper than the stack allows: refuse it rather than crash.
    if (error instanceof RangeError)
      throw new DocumentError(what, [{ file, path: '', message: 'malformed document: nested too deeply' }], { cause: error });
    throw error;
  }
}

function parseYaml(text: string, file: string, what: string): SourceDocument {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new DocumentError(
      what,
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { file, line: pos.line, column: pos.col, path: '', message: `malformed YAML: ${firstLine(e.message)}` };
      }),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new DocumentError(what, [{ file, path: '', message: `malformed YAML: ${firstLine((error as Error).message)}` }], {
      cause: error,
    });
  }
  const position = (offset: number): Position => {
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  return {
    file,
    data,
    locate(path, options) {
      let node: unknown = doc.contents;
      let found: YamlNode | undefined = (doc.contents as YamlNode | null) ?? undefined;
      for (let i = 0; i < path.length; i++) {
        const segment = path[i];
        const last = i === path.length - 1;
        if (isMap(node)) {
          const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(segment));
          if (!pair) break;
          if (last && options?.key && isScalar(pair.key)) return pair.key.range ? position(pair.key.range[0]) : undefined;
          // `key:` with no value: point at the key.
          node = pair.value;
          found = (pair.value as YamlNode | null) ?? (pair.key as YamlNode);
          if (pair.value === null) break;
        } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
          node = node.items[segment];
          found = node as YamlNode;
        } else {
          break;
        }
      }
      return found?.range ? position(found.range[0]) : { line: 1, column: 1 };
    },
  };
}

function parseJson(text: string, file: string, what: string): SourceDocument {
  const lines = lineStarts(text);
  const position = (offset: number): Position => {
    let lo = 0;
    let hi = lines.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lines[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - lines[lo] + 1 };
  };
  const errors: jsonc.ParseError[] = [];
  const root = jsonc.parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const issues: Issue[] = errors.map((e) => ({
    file,
    ...position(e.offset),
    path: '',
    message: `malformed JSON: ${describeJsonError(e.error)}`,
  }));
  if (root) {
    try {
      issues.push(...duplicateKeys(root, file, position));
    } catch (error) {
      // A document nested deeper than the stack allows: refuse it rather than crash.
      if (!(error instanceof RangeError)) throw error;
      throw new DocumentError(what, [{ file, path: '', message: 'malformed JSON: nested too deeply' }], { cause: error });
    }
  }
  if (issues.length > 0 || !root) {
    throw new DocumentError(what, issues.length > 0 ? issues : [{ file, path: '', message: 'malformed JSON: the file is empty' }]);
  }
  return {
    file,
    data: jsonc.getNodeValue(root),
    locate(path, options) {
      for (let n = path.length; n >= 0; n--) {
        const node = jsonc.findNodeAtLocation(root, [...path.slice(0, n)]);
        if (!node) continue;
        const keyNode = node.parent?.type === 'property' ? node.parent.children?.[0] : undefined;
        if (n === path.length && options?.key && keyNode) return position(keyNode.offset);
        return position(node.offset);
      }
      return { line: 1, column: 1 };
    },
  };
}

function duplicateKeys(root: jsonc.Node, file: string, position: (offset: number) => Position): Issue[] {
  const issues: Issue[] = [];
  const visit = (node: jsonc.Node, path: PathSegment[]): void => {
    if (node.type === 'object') {
      const seen = new Set<string>();
      for (const property of node.children ?? []) {
        const [key, value] = property.children ?? [];
        const name = String(key?.value);
        if (seen.has(name)) {
          issues.push({ file, ...position(key.offset), path: formatPath([...path, name]), message: `duplicate key "${name}"` });
        }
        seen.add(name);
        if (value) visit(value, [...path, name]);
      }
    } else if (node.type === 'array') {
      (node.children ?? []).forEach((child, i) => visit(child, [...path, i]));
    }
  };
  visit(root, []);
  return issues;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function describeJsonError(code: jsonc.ParseErrorCode): string {
  const name = jsonc.printParseErrorCode(code);
  return name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

function firstLine(message: string): string {
  return message.split('\n')[0];
}

/** `purposes.order-management.retention.cases[1].when`; keys that are not plain names are quoted. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}
