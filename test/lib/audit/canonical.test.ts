/**
 * lib/audit/canonical.ts: canonical JSON (RFC 8785, the `canonicalize` package) and the audit record's hash. The
 * fixed hashes below were recorded with the hand-written serialiser the library replaced: a record written before
 * the change verifies after it.
 */
import { chainRecord, directorySource, GENESIS_HASH, hashOfRecord, verifyChain, type AuditEntry } from '../../../lib/audit';
import { canonicalJson } from '../../../lib/audit/canonical';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const entry: AuditEntry = {
  at: '2025-03-01T10:00:07+01:00',
  kind: 'erasure-request',
  requestId: 'req-1',
  purposes: ['customer', 'billing'],
  system: 'crm',
  action: 'delete',
  outcome: 'erased',
  counts: { records: 3, fields: 0, objects: 12 },
  subject: 'f'.repeat(64),
  policyHash: 'a'.repeat(64),
};

describe('the hash of an audit record', () => {
  it('is the one recorded before canonical JSON came from a library (records written then still verify)', () => {
    // GIVEN record 7 of a chain, as written before
    // WHEN it is hashed now
    const record = chainRecord(entry, 7, 'b'.repeat(64));
    // THEN the hash is the one recorded then
    expect(record.hash).toBe('b4c9a1db6eb46e544a0f2906d3f2de22412f4ad1935f467aa8bc3ffe33dea7a6');
    expect(hashOfRecord(JSON.parse(JSON.stringify(record)))).toBe(record.hash);
  });

  it('does not depend on key order or formatting', () => {
    const record = chainRecord(entry, 1, GENESIS_HASH);
    const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(record).reverse())));
    expect(hashOfRecord(reordered)).toBe(record.hash);
  });
});

describe('canonicalJson (RFC 8785)', () => {
  // Table-driven: the text for each input; the same as the hand-written serialiser wrote for every JSON value.
  const cases: { name: string; value: unknown; text: string }[] = [
    {
      name: 'keys sorted at every level, undefined members left out',
      value: { b: 1, a: { d: [2, { y: 1, x: 2 }], c: undefined } },
      text: '{"a":{"d":[2,{"x":2,"y":1}]},"b":1}',
    },
    { name: 'undefined in an array is null', value: [undefined, null, true], text: '[null,null,true]' },
    {
      name: 'numbers as ECMAScript writes them',
      value: [1e21, 1e-7, 0.1, -0, 123456789012345680000, 5e-324],
      text: '[1e+21,1e-7,0.1,0,123456789012345680000,5e-324]',
    },
    { name: 'strings: control characters escaped, the rest as is', value: 'é\u2028\u0000"\\', text: '"é\u2028\\u0000\\"\\\\"' },
    {
      name: 'keys sorted by UTF-16 code unit',
      value: { '\u20ac': 1, '\r': 2, '\ud83d\ude00': 3, ö: 4, a: 5 },
      text: '{"\\r":2,"a":5,"ö":4,"€":1,"😀":3}',
    },
  ];
  it.each(cases)('$name', ({ value, text }) => {
    expect(canonicalJson(value)).toBe(text);
  });

  // Where RFC 8785 and the hand-written serialiser differed: these are not JSON data (I-JSON), so no record held one.
  const refused: { name: string; value: unknown; message: RegExp }[] = [
    { name: 'NaN (was written as null)', value: { n: NaN }, message: /NaN is not allowed/ },
    { name: 'Infinity (was written as null)', value: [Infinity], message: /Infinity is not allowed/ },
    { name: 'a lone surrogate (was written as \\ud800)', value: { s: '\ud800' }, message: /Lone surrogate/ },
    { name: 'undefined at the top', value: undefined, message: /cannot put undefined in canonical JSON/ },
    { name: 'a function at the top', value: () => 1, message: /cannot put function in canonical JSON/ },
  ];
  it.each(refused)('refuses $name', ({ value, message }) => {
    expect(() => canonicalJson(value)).toThrow(message);
  });

  it('writes a value with toJSON as JSON.stringify does (a Date as its ISO text; was {})', () => {
    expect(canonicalJson({ at: new Date(0) })).toBe('{"at":"1970-01-01T00:00:00.000Z"}');
  });
});

describe('verifyChain on a record that is not I-JSON', () => {
  it('reports the record as unreadable, naming it, instead of failing', async () => {
    // GIVEN a chain of one record whose system holds a lone surrogate (valid JSON text, not I-JSON)
    const dir = mkdtempSync(join(tmpdir(), 'lethe-canonical-'));
    try {
      const record = chainRecord({ ...entry }, 1, GENESIS_HASH);
      writeFileSync(join(dir, '000000000001.json'), JSON.stringify(record).replace('"crm"', '"crm\\ud800"'));
      // WHEN the chain is verified
      const report = await verifyChain(directorySource(dir));
      // THEN the break names the record and why it cannot be hashed
      expect(report.break).toEqual({
        kind: 'unreadable',
        name: '000000000001.json',
        seq: 1,
        message: '000000000001.json: record 1 is not I-JSON, so it has no canonical form (Lone surrogate is not allowed)',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
