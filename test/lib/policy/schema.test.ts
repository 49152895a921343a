/**
 * The published JSON Schema is generated from the same zod source as the validator: it must be up to date,
 * and it must agree with the validator on the example policies.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parse } from 'yaml';
import { loadPolicyData } from '../../../lib/policy/load';
import { backupRetentionOf } from '../../../lib/policy/model';
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
    ['a backupRetention that is not a duration', (d: any) => (d.systems.crm.backupRetention = '35 days')],
  ])('rejects %s, as the validator does', (_name, change) => {
    const doc = structuredClone(basePolicyDoc()) as any;
    change(doc);
    expect(validate(doc)).toBe(false);
  });

  describe('backupRetention (issue 19, item 3)', () => {
    it.each([
      ['P35D', 'P35D'],
      ['P1Y', 'P1Y'],
      ['PT36H', 'PT36H'],
      [undefined, 'P35D'],
    ])('GIVEN a system with backupRetention %s WHEN loaded THEN its retention is %s', (given, expected) => {
      const doc = structuredClone(basePolicyDoc()) as any;
      if (given !== undefined) doc.systems.crm.backupRetention = given;
      expect(validate(doc) ? [] : validate.errors).toEqual([]);
      const { policy } = loadPolicyData(doc, 'policy.yaml');
      expect(backupRetentionOf(policy.systems.crm)).toBe(expected);
    });

    it('GIVEN no backupRetention WHEN hashed THEN the hash is that of the policy before the extension (no default in the document)', () => {
      const doc = structuredClone(basePolicyDoc()) as any;
      const withDefault = structuredClone(doc);
      withDefault.systems.crm.backupRetention = 'P35D';
      expect(loadPolicyData(doc, 'a.yaml').hash).not.toBe(loadPolicyData(withDefault, 'b.yaml').hash);
      expect(loadPolicyData(doc, 'a.yaml').policy.systems.crm.backupRetention).toBeUndefined();
    });

    it('GIVEN backupRetention "35 days" WHEN loaded THEN the error names the path and the form expected', () => {
      const doc = structuredClone(basePolicyDoc()) as any;
      doc.systems.crm.backupRetention = '35 days';
      expect(() => loadPolicyData(doc, 'policy.yaml')).toThrow(/systems\.crm\.backupRetention: expected an ISO 8601 duration/);
    });
  });

  it('describes the fields so editors can show help', () => {
    expect(JSON.stringify(schema)).toContain('IANA time zone');
    expect(JSON.stringify(schema)).toContain('Required when location is outside the EU/EEA');
  });
});
