/**
 * Hostile input for the policy loader (lib/policy/load.ts, loadPolicyText), issue 7 item 2: random and malformed
 * YAML and JSON, truncations of a real policy, alias bombs, deep nesting, huge documents, wrong types and hostile
 * strings planted anywhere in a valid policy. Whatever the text, the loader either returns a policy or throws one
 * of Lethe's document errors (DocumentError, PolicyValidationError, FileError, InputError) with a message — never
 * another exception — and it answers within a time bound.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { DocumentError, FileError, InputError } from '../../lib/core/errors';
import { loadPolicyText } from '../../lib/policy/load';
import { MAX_REPORTED_ISSUES } from '../../lib/policy/source';

/** Longest a single load may take, in ms: generous for a slow CI machine, far below a hang or an exponential blow-up. */
const TIME_BOUND_MS = 3000;

const EXAMPLE = join(__dirname, '..', '..', 'examples', 'smartsign.yaml');
const VALID_YAML = readFileSync(EXAMPLE, 'utf8');
const VALID_DATA = parseYaml(VALID_YAML) as Record<string, unknown>;
const VALID_JSON = JSON.stringify(VALID_DATA, null, 2);

type Outcome = { kind: 'loaded' } | { kind: 'refused'; error: Error };

/** Loads `text` as `file`, and checks the two promises of this file: only Lethe's document errors, and in time. */
function loadHostile(text: string, file: string): Outcome {
  const started = performance.now();
  let outcome: Outcome;
  try {
    loadPolicyText(text, file);
    outcome = { kind: 'loaded' };
  } catch (error) {
    // THEN it is one of Lethe's document errors, with a message and no stack trace in it
    const allowed = error instanceof DocumentError || error instanceof FileError || error instanceof InputError;
    if (!allowed) {
      throw new Error(`${file}: threw ${(error as Error)?.name ?? typeof error}: ${String((error as Error)?.message).slice(0, 200)}`);
    }
    expect(typeof error.message).toBe('string');
    expect(error.message.length).toBeGreaterThan(0);
    expect(error.message).not.toMatch(/\n\s+at .+:\d+:\d+/);
    outcome = { kind: 'refused', error };
  }
  // AND it answered in time
  expect(performance.now() - started).toBeLessThan(TIME_BOUND_MS);
  return outcome;
}

/** The DocumentError `outcome` refused with; fails the test when it loaded or threw another error. */
function documentError(outcome: Outcome): DocumentError {
  if (outcome.kind === 'refused' && outcome.error instanceof DocumentError) return outcome.error;
  throw new Error(`expected a DocumentError, got ${outcome.kind === 'loaded' ? 'a policy' : outcome.error.name}`);
}

/** Strings that have broken parsers, paths and query languages before. */
import { HOSTILE_STRINGS } from './hostile-strings';
/** Each property's runs: all in its `.full.test.ts` twin (the integration lane), a fifth here (the unit lane). */
import { propertyRuns } from '../support/property-runs';

const hostileString = fc.oneof(fc.constantFrom(...HOSTILE_STRINGS), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }));

/** Values of the wrong type for almost any field of a policy. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, Number.MAX_SAFE_INTEGER + 2, [], {}, [[]], { '': '' }, { '*': '*' }),
  fc.jsonValue({ maxDepth: 4 }),
);

/** Every path to a value in a JSON-like document (objects and arrays), including the root. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...prefix, i])));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
  }
  return out;
}
const VALID_PATHS = pathsOf(VALID_DATA).filter((p) => p.length > 0);

/** A copy of `doc` with the value at `path` replaced (or, with `asKey`, the last key renamed). */
function plant(doc: unknown, path: (string | number)[], value: unknown, asKey: boolean): unknown {
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  let parent: Record<string | number, unknown> = copy;
  for (const segment of path.slice(0, -1)) parent = parent[segment] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (asKey && typeof last === 'string' && typeof value === 'string') {
    const moved = parent[last];
    delete parent[last];
    parent[value] = moved;
  } else {
    parent[last] = value;
  }
  return copy;
}

/** YAML text of `data` without the `yaml` package's safety: plain JSON is valid YAML 1.2. */
const asYaml = (data: unknown): string => JSON.stringify(data);

const deepJsonArray = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);
const deepJsonObject = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
const deepYamlBlock = (depth: number): string => Array.from({ length: depth }, (_, i) => `${' '.repeat(i)}a:`).join('\n') + ' 1\n';

/** The classic "billion laughs": `levels` anchors, each a list of `width` aliases to the one before. */
function aliasBomb(levels: number, width: number): string {
  const lines = ['l0: &l0 "lol"'];
  for (let i = 1; i <= levels; i++)
    lines.push(
      `l${i}: &l${i} [${Array(width)
        .fill(`*l${i - 1}`)
        .join(', ')}]`,
    );
  return lines.join('\n') + '\n';
}

/** A policy with `n` empty purposes: every one of them is wrong in several ways, so `n` × several issues. */
const manyPurposes = (n: number): string =>
  JSON.stringify({ version: 1, purposes: Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, {}])) });

const FILES = ['policy.yaml', 'policy.yml', 'policy.json', 'POLICY.JSON', 'policy'] as const;
const file = fc.constantFrom(...FILES);

describe('the policy loader under hostile input', () => {
  it('refuses random text cleanly, as YAML and as JSON', () => {
    // GIVEN any text at all, WHEN loaded under any file name, THEN a Lethe error or (never, in practice) a policy
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.string({ maxLength: 2000 })),
        file,
        (text, name) => {
          expect(loadHostile(text, name).kind).toBe('refused');
        },
      ),
      propertyRuns(300),
    );
  });

  it('refuses random JSON and JSON-shaped YAML cleanly', () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 6 }), file, (text, name) => {
        expect(loadHostile(text, name).kind).toBe('refused');
      }),
      propertyRuns(300),
    );
  });

  it('loads or cleanly refuses every truncation of a valid policy, in both formats', () => {
    // GIVEN the smartsign example, which loads
    expect(loadHostile(VALID_YAML, 'policy.yaml').kind).toBe('loaded');
    expect(loadHostile(VALID_JSON, 'policy.json').kind).toBe('loaded');
    fc.assert(
      fc.property(fc.boolean(), fc.double({ min: 0, max: 1, noNaN: true }), (json, at) => {
        // WHEN it is cut anywhere short of its end
        const text = json ? VALID_JSON : VALID_YAML;
        const cut = Math.min(text.length - 1, Math.floor(at * text.length));
        const outcome = loadHostile(text.slice(0, cut), json ? 'policy.json' : 'policy.yaml');
        // THEN a truncated JSON document is always refused (a YAML one may still be a whole, valid policy)
        if (json) expect(outcome.kind).toBe('refused');
      }),
      propertyRuns(150),
    );
  });

  it('loads or cleanly refuses a valid policy with a hostile value or key planted anywhere', () => {
    fc.assert(
      fc.property(fc.constantFrom(...VALID_PATHS), hostileValue, fc.boolean(), fc.boolean(), (path, value, asKey, json) => {
        const data = plant(VALID_DATA, path, value, asKey);
        loadHostile(json ? JSON.stringify(data) : asYaml(data), json ? 'policy.json' : 'policy.yaml');
      }),
      propertyRuns(300),
    );
  });

  it('refuses YAML alias bombs (billion laughs) fast', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 2, max: 20 }), (levels, width) => {
        const outcome = loadHostile(aliasBomb(levels, width), 'policy.yaml');
        expect(outcome.kind).toBe('refused');
      }),
      propertyRuns(40),
    );
    // The full bomb, nested under a real key of a valid policy
    const bomb = aliasBomb(10, 10).replace(/^/gm, '  ');
    const outcome = loadHostile(`${VALID_YAML}\nx-bomb:\n${bomb}`, 'policy.yaml');
    expect(outcome.kind).toBe('refused');
  });

  it('refuses YAML nested 10 000 levels deep, at the root and under a key', () => {
    for (const text of [
      deepJsonArray(10_000),
      deepJsonObject(10_000),
      `version: 1\npurposes: ${deepJsonArray(10_000)}\n`,
      deepYamlBlock(3_000),
    ]) {
      expect(loadHostile(text, 'policy.yaml').kind).toBe('refused');
    }
  });

  it('refuses JSON nested up to 500 levels deep', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.boolean(), (depth, arrays) => {
        const deep = arrays ? deepJsonArray(depth) : deepJsonObject(depth);
        expect(loadHostile(deep, 'policy.json').kind).toBe('refused');
        expect(loadHostile(`{"version":1,"purposes":${deep}}`, 'policy.json').kind).toBe('refused');
      }),
      propertyRuns(40),
    );
  });

  // BUG (found by this fuzz, left visible): JSON nested ~2 000+ levels deep makes the loader throw a bare
  // RangeError ("Maximum call stack size exceeded") from the recursive duplicate-key walk in lib/policy/source.ts
  // (`duplicateKeys` → `visit`), instead of a DocumentError. YAML of the same depth is refused cleanly.
  // Minimal counterexample: loadPolicyText('['.repeat(10000) + ']'.repeat(10000), 'policy.json').
  // Fix: in parseJson, refuse documents nested deeper than a fixed limit (e.g. 64) with a DocumentError before any
  // recursive walk (or make duplicateKeys iterative and wrap RangeError as parseYaml does).
  test('refuses JSON nested 10 000 levels deep (it was a RangeError from source.ts duplicateKeys)', () => {
    for (const text of [deepJsonArray(10_000), deepJsonObject(10_000), `{"version":1,"purposes":${deepJsonObject(10_000)}}`]) {
      expect(loadHostile(text, 'policy.json').kind).toBe('refused');
    }
  });

  it('refuses huge documents (over 1 MiB) in time', () => {
    const huge = 'x'.repeat(1024 * 1024);
    for (const [text, name] of [
      [huge, 'policy.yaml'],
      [huge, 'policy.json'],
      [manyPurposes(500), 'policy.json'],
      [manyPurposes(500), 'policy.yaml'],
    ] as const) {
      expect(loadHostile(text, name).kind).toBe('refused');
    }
    // A valid policy padded with a 1 MiB string: loaded or refused, but in time
    loadHostile(`${VALID_YAML}\nx-padding: "${'y'.repeat(1024 * 1024)}"\n`, 'policy.yaml');
  });

  // Was a bug found by this fuzz: the time to refuse grew quadratically with the number of issues. Each issue was
  // located by a walk over its siblings (findNodeAtLocation for JSON, items.find for YAML, in lib/policy/source.ts),
  // and `yaml`'s own duplicate-key check compared each key of a mapping with every earlier one. Under jest, 3 000 empty
  // purposes (12 003 issues, a 1.7 MB message) took 12.6-28 s as JSON and 13.6-37 s as YAML (depending on the load of
  // the machine), far over TIME_BOUND_MS; 1.3-1.5 s after, measured in the same runs. Now each mapping is indexed once
  // (a Map per mapping), duplicate YAML keys are found with a Set, and the error lists the first 100 issues, then how
  // many more.
  it.each(['policy.json', 'policy.yaml'])('refuses a policy with 3 000 invalid purposes in time, listing the first 100 (%s)', (name) => {
    const { issues } = documentError(loadHostile(manyPurposes(3_000), name));
    expect(issues).toHaveLength(MAX_REPORTED_ISSUES + 1);
    expect(issues[MAX_REPORTED_ISSUES].message).toBe('11903 more errors not listed (12003 in all; only the first 100 are shown)');
  });

  // Under jest, a policy with a mapping of 10 000 keys took 9.3-14.9 s to load before (yaml's uniqueKeys), 0.6-1.6 s after.
  it("parses a YAML mapping with 10 000 keys in time (yaml's own unique-key check is quadratic)", () => {
    const keys = Array.from({ length: 10_000 }, (_, i) => `  k${i}: ${i}\n`).join('');
    loadHostile(`${VALID_YAML}\nx-keys:\n${keys}`, 'policy.yaml');
    // AND a duplicate among them is still found, at its key
    const outcome = loadHostile(`${VALID_YAML}\nx-keys:\n${keys}  k7: again\n`, 'policy.yaml');
    expect(documentError(outcome).message).toMatch(/:\d+:3: malformed YAML: Map keys must be unique/);
  });
});
