/**
 * The latency file (lib/bench/latency-eu-north-1.json): every entry has a value (or null, said so), a unit, a
 * source and a date; a bad file is refused naming the field.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_LATENCY_FILE, LATENCY_CLASSES, loadLatencies } from '../../../lib/bench/latency';
import { DocumentError } from '../../../lib/core/errors';

describe('latency-eu-north-1.json', () => {
  const file = loadLatencies();

  it.each(LATENCY_CLASSES)('%s has a value or a null said to be unsourced, a unit, a source and a date', (cls) => {
    // GIVEN the shipped file WHEN the class's entry is read THEN it carries all four, and a null says why
    const entry = file.latencies[cls];
    expect({ unit: entry.unit, date: /^\d{4}-\d{2}-\d{2}$/.test(entry.date), source: entry.source.length > 10 }).toEqual({
      unit: 'ms',
      date: true,
      source: true,
    });
    expect(entry.value === null ? entry.status.startsWith('unsourced: ') : entry.value > 0).toBe(true);
  });

  it.each([
    ['a value without its source', (d: Record<string, any>) => delete d.latencies.dynamodb.source, 'latencies.dynamodb.source'],
    ['a null value not said to be unsourced', (d: Record<string, any>) => (d.latencies.s3.value = null), 'latencies.s3.status'],
    ['a figure said to be unsourced', (d: Record<string, any>) => (d.latencies.kms.value = 5), 'latencies.kms.status'],
    ['a date that is not one', (d: Record<string, any>) => (d.latencies.kms.date = 'today'), 'latencies.kms.date'],
  ])('refuses %s, naming the field', (_name, mutate, field) => {
    // GIVEN a copy of the file with one fault
    const data = JSON.parse(readFileSync(DEFAULT_LATENCY_FILE, 'utf8')) as Record<string, any>;
    mutate(data);
    const bad = path.join(mkdtempSync(path.join(tmpdir(), 'lethe-latency-')), 'latency.json');
    writeFileSync(bad, JSON.stringify(data, null, 2));
    // WHEN it is loaded THEN a DocumentError names the field
    let error: unknown;
    try {
      loadLatencies(bad);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DocumentError);
    expect((error as DocumentError).issues.map((i) => i.path)).toContain(field);
  });
});
