/**
 * The published JSON Schema is generated from the same zod source as the validator: it must be up to date,
 * and it must agree with the validator on the example policies.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parse } from 'yaml';
import { policyJsonSchema } from '../../../lib/policy/schema';
import { basePolicyDoc } from '../../helpers/policy';

const ROOT = join(__dirname, '..', '..', '..');

describe('policy JSON Schema', () => {
  const schema = policyJsonSchema();
  const validate = new Ajv2020({ strict: false, allErrors: true }).compile(schema);

  it('is published up to date in schema/policy.schema.json (run `npm run schema` after changing lib/policy/schema.ts)', () => {
    const published = JSON.parse(readFileSync(join(ROOT, 'schema', 'policy.schema.json'), 'utf8'));
    expect(published).toEqual(schema);
  });

  it.each(readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.yaml')))('accepts the example %s', (file) => {
    const doc = parse(readFileSync(join(ROOT, 'examples', file), 'utf8'));
    expect(validate(doc) ? [] : validate.errors).toEqual([]);
  });

  it.each([
    ['a missing timezone', (d: any) => delete d.timezone],
    ['an unknown key', (d: any) => (d.purposes.service.retension = {})],
    ['a malformed duration', (d: any) => (d.purposes.service.retention = { keep: '10 years' })],
    ['an unknown connector', (d: any) => (d.systems.crm.connector = 'mysql')],
    ['a nested anchor of the wrong type', (d: any) => (d.purposes.service.retention = { keep: 'P1Y', from: { add: 'P1M', to: 5 } })],
  ])('rejects %s, as the validator does', (_name, change) => {
    const doc = structuredClone(basePolicyDoc()) as any;
    change(doc);
    expect(validate(doc)).toBe(false);
  });

  it('describes the fields so editors can show help', () => {
    expect(JSON.stringify(schema)).toContain('IANA time zone');
    expect(JSON.stringify(schema)).toContain('Required when location is outside the EU/EEA');
  });
});
