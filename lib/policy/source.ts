/**
 * Reads a YAML or JSON document and keeps a map back to its source, so that every problem found later can
 * be reported as file:line:column. YAML is parsed by `yaml`, JSON by `jsonc-parser` in strict JSON mode.
 */
import { readFileSync } from 'node:fs';
import * as jsonc from 'jsonc-parser';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { DocumentError, FileError, type Issue } from '../core/errors';

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

/**
 * How many problems an error about a document lists by default. A document with more gets one more line saying how
 * many were found in all: past a hundred, the author has a systematic mistake to fix, not a list to read.
 */
export const MAX_REPORTED_ISSUES = 100;

/** The first `max` issues and, when there were more, one issue saying how many more were found and not listed. */
export function capIssues(issues: readonly Issue[], file: string, max: number = MAX_REPORTED_ISSUES): Issue[] {
  if (issues.length <= max) return [...issues];
  const more = issues.length - max;
  return [
    ...issues.slice(0, max),
    {
      file,
      path: '',
      message: `${more} more error${more === 1 ? '' : 's'} not listed (${issues.length} in all; only the first ${max} are shown)`,
      omitted: more,
    },
  ];
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
  // `yaml`'s own unique-key check compares each key with every earlier key of its mapping, quadratic in the size of
  // a mapping (16 000 keys: 11 s); `duplicateYamlKeys` makes the same check with one Set per mapping.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const errors = [
    ...doc.errors.map((e) => ({ offset: e.pos[0], message: firstLine(e.message) })),
    ...duplicateYamlKeys(doc.contents).map((offset) => ({ offset, message: 'Map keys must be unique' })),
  ].sort((a, b) => a.offset - b.offset);
  if (errors.length > 0) {
    throw new DocumentError(
      what,
      capIssues(
        errors.map((e) => {
          const pos = lineCounter.linePos(e.offset);
          return { file, line: pos.line, column: pos.col, path: '', message: `malformed YAML: ${e.message}` };
        }),
        file,
      ),
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
  return { file, data, locate: locator(yamlNode(doc.contents, undefined), position) };
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
    throw new DocumentError(
      what,
      issues.length > 0 ? capIssues(issues, file) : [{ file, path: '', message: 'malformed JSON: the file is empty' }],
    );
  }
  return { file, data: jsonc.getNodeValue(root), locate: locator(jsonNode(root, undefined), position) };
}

/**
 * A node of a parsed document as `locate` sees it, in either syntax: where its value starts, where the key naming it
 * starts, and its child at a path segment. A mapping's keys are indexed the first time one of its children is looked
 * up, then reused, so locating every issue of a document costs issues × depth, not issues × siblings (which made a
 * policy with thousands of invalid purposes quadratic to report).
 */
interface SourceNode {
  /** Where the value starts; for a YAML `key:` with no value, where the key starts. */
  readonly offset: number | undefined;
  /** Where the scalar key naming this node in its mapping starts, if it is a mapping's value. */
  readonly keyOffset: number | undefined;
  child(segment: PathSegment): SourceNode | undefined;
}

/** `locate` over a document's root node: the deepest node of `path` that exists (see `SourceDocument.locate`). */
function locator(root: SourceNode | undefined, position: (offset: number) => Position): SourceDocument['locate'] {
  return (path, options) => {
    let found = root;
    for (let i = 0; found !== undefined && i < path.length; i++) {
      const child = found.child(path[i]);
      if (child === undefined) break;
      if (i === path.length - 1 && options?.key && child.keyOffset !== undefined) return position(child.keyOffset);
      found = child;
    }
    return found?.offset !== undefined ? position(found.offset) : { line: 1, column: 1 };
  };
}

/** Builds `build()` on the first call and returns the same value after. */
function once<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}

/** A YAML node; a mapping's keys match by their string form, a sequence's items by numeric index only. */
function yamlNode(node: unknown, key: YamlNode | undefined): SourceNode | undefined {
  if (node === null || node === undefined) {
    // `key:` with no value: point at the key; an empty document has no node at all.
    return key ? { offset: key.range?.[0], keyOffset: isScalar(key) ? key.range?.[0] : undefined, child: () => undefined } : undefined;
  }
  const offset = (node as YamlNode).range?.[0];
  const keyOffset = key && isScalar(key) ? key.range?.[0] : undefined;
  if (isMap(node)) {
    const entries = once(() => {
      const byKey = new Map<string, SourceNode | undefined>();
      for (const pair of node.items) {
        const name = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        if (!byKey.has(name)) byKey.set(name, yamlNode(pair.value, (pair.key as YamlNode | null) ?? undefined));
      }
      return byKey;
    });
    return { offset, keyOffset, child: (segment) => entries().get(String(segment)) };
  }
  if (isSeq(node)) {
    const items = once(() => node.items.map((item) => yamlNode(item, undefined)));
    return { offset, keyOffset, child: (segment) => (typeof segment === 'number' ? items()[segment] : undefined) };
  }
  return { offset, keyOffset, child: () => undefined };
}

/** A JSON node; an object's properties match by string key, an array's elements by numeric index only. */
function jsonNode(node: jsonc.Node, key: jsonc.Node | undefined): SourceNode {
  const keyOffset = key?.offset;
  if (node.type === 'object') {
    const properties = once(() => {
      const byKey = new Map<string, SourceNode>();
      for (const property of node.children ?? []) {
        const [name, value] = property.children ?? [];
        if (value && typeof name?.value === 'string' && !byKey.has(name.value)) byKey.set(name.value, jsonNode(value, name));
      }
      return byKey;
    });
    return { offset: node.offset, keyOffset, child: (segment) => (typeof segment === 'string' ? properties().get(segment) : undefined) };
  }
  if (node.type === 'array') {
    const elements = once(() => (node.children ?? []).map((element) => jsonNode(element, undefined)));
    return { offset: node.offset, keyOffset, child: (segment) => (typeof segment === 'number' ? elements()[segment] : undefined) };
  }
  return { offset: node.offset, keyOffset, child: () => undefined };
}

/**
 * Where each repeated key of a YAML mapping starts: the check `yaml` makes with `uniqueKeys: true` (scalar keys with
 * equal values), with a Set per mapping, and iteratively so that nesting depth cannot overflow the stack.
 */
function duplicateYamlKeys(root: unknown): number[] {
  const offsets: number[] = [];
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const node = pending.pop();
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        // `yaml` compares scalar values with ===, under which NaN is never a duplicate
        if (isScalar(pair.key) && !Number.isNaN(pair.key.value)) {
          if (seen.has(pair.key.value)) offsets.push(pair.key.range?.[0] ?? 0);
          seen.add(pair.key.value);
        }
        pending.push(pair.key, pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) pending.push(item);
    }
  }
  return offsets;
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
