import { DocumentError, InputError } from '../../../lib/core/errors';
import { loadPolicyData, loadPolicyText } from '../../../lib/policy/load';
import { MAX_REPORTED_ISSUES } from '../../../lib/policy/source';
import { basePolicyDoc, type Doc, issueAt, issuesOf, mutate, purposeDoc as purpose, yamlOf } from '../../helpers/policy';

describe('policy validation', () => {
  it('accepts the base policy and applies the defaults of the spec', () => {
    const { policy } = loadPolicyData(
      mutate((d) => {
        d.purposes.legal = purpose({
          legalBasis: 'legal-obligation',
          law: 'Bokföringslagen (1999:1078)',
          retainReason: 'The law says so.',
        });
        delete d.deployment;
      }),
    );
    expect(policy.fiscalYearEnd).toBe('12-31');
    expect(policy.purposes.service.onExpiry).toBe('erase');
    expect(policy.purposes.service.onErasureRequest).toBe('erase');
    expect(policy.purposes.legal.onErasureRequest).toBe('retain');
    expect(policy.purposes.service.retention.cases).toEqual([
      { rule: { kind: 'duration', from: { kind: 'collected' }, keep: 'P1Y', form: 'from' } },
    ]);
    expect(policy.deployment.regions).toContain('eu-north-1');
    expect(policy.deployment.regions).not.toContain('eu-west-2');
  });

  // One row per rule of the spec: the mutation, then the path and the message expected.
  const rows: [string, (d: Doc) => void, string, RegExp][] = [
    ['version must be 1 or 2', (d) => (d.version = 3), 'version', /expected version: 1 or 2; got 3/],
    ['timezone is required', (d) => delete d.timezone, 'timezone', /missing: expected an IANA time zone/],
    ['timezone must be an IANA zone', (d) => (d.timezone = 'Europe/Stockhlm'), 'timezone', /unknown IANA time zone "Europe\/Stockhlm"/],
    ['timezone must not be an offset', (d) => (d.timezone = '+01:00'), 'timezone', /a fixed offset is not a time zone/],
    ['fiscalYearEnd is MM-DD', (d) => (d.fiscalYearEnd = '2024-12-31'), 'fiscalYearEnd', /expected fiscalYearEnd as "MM-DD"/],
    ['fiscalYearEnd is a real day', (d) => (d.fiscalYearEnd = '04-31'), 'fiscalYearEnd', /"04-31" is not a day of the year/],
    ['controller needs a name', (d) => delete d.controller.name, 'controller.name', /missing/],
    ['controller needs a contact', (d) => (d.controller.contact = ''), 'controller.contact', /expected a contact, got an empty string/],
    ['identifiers are kebab-case', (d) => (d.events = ['OrderCompleted']), 'events[0]', /kebab-case/],
    ['collected must not be declared', (d) => d.events.push('collected'), 'events[6]', /"collected" is built in/],
    ['events are declared once', (d) => d.events.push('invoiced'), 'events[6]', /declared twice/],
    [
      'regions must be EU/EEA',
      (d) => (d.deployment.regions = ['us-east-1']),
      'deployment.regions[0]',
      /"us-east-1" is outside the EU\/EEA/,
    ],
    [
      'adequacy regions need the flag',
      (d) => (d.deployment.regions = ['eu-west-2']),
      'deployment.regions[0]',
      /allowAdequacyRegions: true/,
    ],
    [
      'unknown keys are errors',
      (d) => (d.purposes.service.retension = {}),
      'purposes.service.retension',
      /unknown key "retension"; expected one of: .*retention/,
    ],
    [
      'connector is one of four',
      (d) => (d.systems.crm.connector = 'mysql'),
      'systems.crm.connector',
      /expected connector: dynamodb \| s3 \| http \| lambda; got "mysql"/,
    ],
    [
      'location must be a region or a country',
      (d) => (d.systems.crm.location = 'Mars'),
      'systems.crm.location',
      /neither a known AWS region .* nor an ISO 3166/,
    ],
    [
      'third-country systems need a safeguard',
      (d) => (d.systems.crm.location = 'US'),
      'systems.crm.transferSafeguard',
      /outside the EU\/EEA: a third-country transfer needs transferSafeguard/,
    ],
    [
      'a third-country AWS region needs a safeguard',
      (d) => (d.systems.crm.location = 'us-east-1'),
      'systems.crm.transferSafeguard',
      /needs transferSafeguard/,
    ],
    [
      'an adequacy country is still a transfer',
      (d) => (d.systems.crm.location = 'GB'),
      'systems.crm.transferSafeguard',
      /needs transferSafeguard/,
    ],
    [
      'field categories must be declared',
      (d) => (d.systems.crm.fields.name.category = 'biometric'),
      'systems.crm.fields.name.category',
      /unknown category "biometric"; declared categories: identity, contact, order, health/,
    ],
    [
      "strategies are the spec's",
      (d) => (d.systems.crm.fields.name.anonymise = { strategy: 'hash' }),
      'systems.crm.fields.name.anonymise.strategy',
      /expected strategy: remove \| redact/,
    ],
    [
      'generalise-date needs to',
      (d) => (d.systems.crm.fields.name.anonymise = { strategy: 'generalise-date' }),
      'systems.crm.fields.name.anonymise.to',
      /missing/,
    ],
    [
      'truncate keep is a whole number',
      (d) => (d.systems.crm.fields.name.anonymise = { strategy: 'truncate', keep: 1.5 }),
      'systems.crm.fields.name.anonymise.keep',
      /expected a whole number of characters to keep; got 1.5/,
    ],
    [
      'purpose systems must be declared',
      (d) => (d.purposes.service.systems = ['crm', 'erp']),
      'purposes.service.systems[1]',
      /unknown system "erp"; declared: crm/,
    ],
    [
      'purpose categories must be declared',
      (d) => (d.purposes.service.categories = ['finance']),
      'purposes.service.categories[0]',
      /unknown category "finance"/,
    ],
    [
      'legal basis is one of six',
      (d) => (d.purposes.service.legalBasis = 'contractual'),
      'purposes.service.legalBasis',
      /expected legalBasis: consent \| contract/,
    ],
    [
      'legal-obligation needs law',
      (d) => (d.purposes.service = purpose({ legalBasis: 'legal-obligation', retainReason: 'x' })),
      'purposes.service.law',
      /legal-obligation needs `law`/,
    ],
    [
      'retain needs retainReason',
      (d) => (d.purposes.service = purpose({ onErasureRequest: 'retain' })),
      'purposes.service.retainReason',
      /onErasureRequest retain needs `retainReason`/,
    ],
    [
      'default retain needs retainReason',
      (d) => (d.purposes.service = purpose({ legalBasis: 'legal-obligation', law: 'BFL' })),
      'purposes.service.retainReason',
      /defaults to retain for legal-obligation/,
    ],
    ['retention is required', (d) => delete d.purposes.service.retention, 'purposes.service.retention', /expected a retention rule/],
    [
      'durations are ISO 8601',
      (d) => (d.purposes.service.retention = { keep: '10 years' }),
      'purposes.service.retention.keep',
      /expected an ISO 8601 duration .*; got "10 years"/,
    ],
    [
      'an empty duration is not a duration',
      (d) => (d.purposes.service.retention = { keep: 'P' }),
      'purposes.service.retention.keep',
      /ISO 8601 duration/,
    ],
    [
      'PT alone is not a duration',
      (d) => (d.purposes.service.retention = { keep: 'PT' }),
      'purposes.service.retention.keep',
      /ISO 8601 duration/,
    ],
    [
      'anchor events must be declared',
      (d) => (d.purposes.service.retention = { from: 'contract-signed', keep: 'P1Y' }),
      'purposes.service.retention.from',
      /unknown event type "contract-signed"/,
    ],
    [
      'until events must be declared',
      (d) => (d.purposes.service.retention = { until: 'contract-signed' }),
      'purposes.service.retention.until',
      /unknown event type "contract-signed"/,
    ],
    [
      'nested anchor events must be declared',
      (d) => (d.purposes.service.retention = { from: { add: 'P1M', to: { latestOf: ['collected', 'nope'] } }, keep: 'P1Y' }),
      'purposes.service.retention.from.to.latestOf[1]',
      /unknown event type "nope"/,
    ],
    [
      'a malformed nested anchor is located',
      (d) => (d.purposes.service.retention = { from: { add: 'P1M', to: 5 }, keep: 'P1Y' }),
      'purposes.service.retention.from.to',
      /expected an anchor: .*; got 5/,
    ],
    [
      'from and until are exclusive',
      (d) => (d.purposes.service.retention = { from: 'invoiced', until: 'invoiced', keep: 'P1Y' }),
      'purposes.service.retention.until',
      /unknown key "until"/,
    ],
    [
      'indefinite needs a justification',
      (d) => (d.purposes.service.retention = { indefinite: true }),
      'purposes.service.retention.justification',
      /missing/,
    ],
    [
      'indefinite must be true',
      (d) => (d.purposes.service.retention = { indefinite: false, justification: 'x' }),
      'purposes.service.retention.indefinite',
      /expected indefinite: true/,
    ],
    [
      'cases end with a default',
      (d) => (d.purposes.service.retention = { cases: [{ when: { occurred: 'invoiced' }, keep: 'P1Y' }] }),
      'purposes.service.retention.cases[0].when',
      /the last case is the default and must not have `when`/,
    ],
    [
      'only the last case omits when',
      (d) => (d.purposes.service.retention = { cases: [{ keep: 'P1Y' }, { keep: 'P2Y' }] }),
      'purposes.service.retention.cases[0]',
      /only the last case may omit `when`/,
    ],
    [
      'cases must not be empty',
      (d) => (d.purposes.service.retention = { cases: [] }),
      'purposes.service.retention.cases',
      /at least one case/,
    ],
    [
      'cases do not nest',
      (d) => (d.purposes.service.retention = { cases: [{ cases: [{ keep: 'P1Y' }] }] }),
      'purposes.service.retention.cases[0]',
      /expected a retention rule/,
    ],
    [
      'condition events must be declared',
      (d) => (d.purposes.service.retention = { cases: [{ when: { not: { occurred: 'nope' } }, keep: 'P1Y' }, { keep: 'P2Y' }] }),
      'purposes.service.retention.cases[0].when.not.occurred',
      /unknown event type "nope"/,
    ],
    [
      'a misspelt condition says what conditions are',
      (d) => (d.purposes.service.retention = { cases: [{ when: { occured: 'invoiced' }, keep: 'P1Y' }, { keep: 'P2Y' }] }),
      'purposes.service.retention.cases[0].when',
      /expected a condition: .*; got an object with key "occured"/,
    ],
    [
      'onExpiry is erase or anonymise',
      (d) => (d.purposes.service.onExpiry = 'retain'),
      'purposes.service.onExpiry',
      /expected onExpiry: erase \| anonymise/,
    ],
  ];

  it.each(rows)('%s', (_name, change, path, message) => {
    // GIVEN a valid policy with one rule broken
    const doc = mutate(change);
    // WHEN it is validated
    const issues = issuesOf(doc);
    // THEN an issue names the path and says what was expected
    expect(issues).toEqual(expect.arrayContaining([issueAt(path, message)]));
  });

  it('reports every error at once, not only the first', () => {
    const doc = mutate((d) => {
      d.timezone = 'Nowhere/City';
      d.systems.crm.location = 'US';
      d.purposes.service.systems = ['erp'];
      d.purposes.other = purpose({ retention: { keep: 'forever' } });
    });
    expect(issuesOf(doc)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^timezone:/),
        expect.stringMatching(/^systems\.crm\.transferSafeguard:/),
        expect.stringMatching(/^purposes\.service\.systems\[0\]:/),
        expect.stringMatching(/^purposes\.other\.retention\.keep:/),
      ]),
    );
  });

  it('accepts every retention form and anchor of the spec', () => {
    const doc = mutate((d) => {
      d.fiscalYearEnd = '06-30';
      d.purposes = {
        a: purpose({ retention: { keep: 'P10Y', from: 'order-completed' } }),
        b: purpose({ retention: { until: 'account-closed', keep: 'P3M' } }),
        c: purpose({ retention: { until: 'account-closed' } }),
        d: purpose({ retention: { indefinite: true, justification: 'Archive' } }),
        e: purpose({
          retention: {
            cases: [
              {
                when: { allOf: [{ occurred: 'invoiced' }, { not: { occurred: 'account-closed' } }] },
                from: { endOfYear: 'invoiced', fiscal: true },
                keep: 'P7Y',
              },
              { when: { anyOf: [{ occurred: 'unsubscribed' }] }, until: 'unsubscribed' },
              { when: { occurred: 'collected' }, indefinite: true, justification: 'x' },
              {
                from: { latestOf: ['collected', { add: 'P1M', to: { endOfFiscalYear: 'invoiced' } }, { endOfYear: 'last-login' }] },
                keep: 'PT36H',
              },
            ],
          },
        }),
      };
    });
    expect(issuesOf(doc)).toEqual([]);
  });
});

describe('policy sources', () => {
  it('locates YAML errors by line and column', () => {
    const text = yamlOf(mutate((d) => (d.purposes.service.retention = { keep: '10 years' })));
    const line = text.split('\n').findIndex((l) => l.includes('10 years')) + 1;
    const column = text.split('\n')[line - 1].indexOf('10 years') + 1;
    expect(() => loadPolicyText(text, 'shop.yaml')).toThrow(
      new RegExp(`shop\\.yaml:${line}:${column}: purposes\\.service\\.retention\\.keep:`),
    );
  });

  it('locates an unknown key at the key', () => {
    const text = yamlOf(mutate((d) => (d.purposes.service.retension = 'x')));
    const line = text.split('\n').findIndex((l) => l.includes('retension')) + 1;
    const column = text.split('\n')[line - 1].indexOf('retension') + 1;
    expect(() => loadPolicyText(text, 'shop.yaml')).toThrow(
      new RegExp(`shop\\.yaml:${line}:${column}: purposes\\.service\\.retension: unknown key`),
    );
  });

  it('locates JSON errors by line and column', () => {
    const text = JSON.stringify(
      mutate((d) => (d.systems.crm.connector = 'mysql')),
      null,
      2,
    );
    const line = text.split('\n').findIndex((l) => l.includes('"mysql"')) + 1;
    const column = text.split('\n')[line - 1].indexOf('"mysql"') + 1;
    expect(() => loadPolicyText(text, 'shop.json')).toThrow(new RegExp(`shop\\.json:${line}:${column}: systems\\.crm\\.connector:`));
  });

  it.each([
    ['malformed YAML', 'p.yaml', 'version: 1\ncontroller: [unclosed\n', /p\.yaml:\d+:\d+: malformed YAML/],
    ['a YAML duplicate key', 'p.yaml', 'version: 1\nversion: 1\n', /p\.yaml:2:1: malformed YAML: Map keys must be unique/],
    ['malformed JSON', 'p.json', '{"version": 1,}', /p\.json:1:15: malformed JSON/],
    ['a JSON duplicate key', 'p.json', '{"version": 1, "version": 1}', /p\.json:1:16: version: duplicate key "version"/],
    ['an empty file', 'p.yaml', '', /p\.yaml:1:1: the policy is empty: expected a YAML mapping/],
    ['a list instead of a mapping', 'p.yaml', '- 1\n- 2\n', /expected the policy to be an object/],
  ])('rejects %s with its position', (_name, file, text, message) => {
    let thrown: unknown;
    try {
      loadPolicyText(text, file);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DocumentError);
    expect((thrown as Error).message).toMatch(message);
  });

  it('hashes the policy independently of formatting and key order', () => {
    const doc = basePolicyDoc();
    const reordered = Object.fromEntries(Object.entries(doc).reverse());
    expect(loadPolicyText(yamlOf(doc)).hash).toBe(loadPolicyText(JSON.stringify(reordered), 'p.json').hash);
    expect(loadPolicyText(yamlOf(doc)).hash).not.toBe(loadPolicyText(yamlOf(mutate((d) => (d.controller.name = 'Other AB')))).hash);
  });
});

describe('connector configs', () => {
  const withConfig = (connector: string, config: unknown) =>
    mutate((d) => {
      d.systems.crm.connector = connector;
      d.systems.crm.config = config;
    });

  it.each([
    ['dynamodb without a table', 'dynamodb', { keyAttribute: 'id' }, /systems\.crm\.config\.tableName: .*dynamodb connector/],
    ['an s3 prefix without a placeholder', 's3', { bucket: 'b', prefix: 'customers/' }, /would match every subject/],
    [
      'an s3 prefix whose placeholder is not followed by "/"',
      's3',
      { bucket: 'b', prefix: 'customers/{subjectId}' },
      /must be followed by "\/" .*user1 vs user10/,
    ],
    ['an http webhook over plain http', 'http', { url: 'http://example.com/hook', secretName: 's' }, /expected an https:\/\/ URL/],
    ['a lambda connector without a function', 'lambda', {}, /systems\.crm\.config\.functionName/],
    ['an unknown config key', 'dynamodb', { tableName: 't', keyAttribute: 'id', tabel: 'x' }, /unknown key\(s\) "tabel"/],
  ])('%s is a warning for validate and an error for deployment', (_name, connector, config, message) => {
    const doc = withConfig(connector, config);
    const { warnings } = loadPolicyData(doc);
    expect(warnings.map((w) => `${w.path}: ${w.message}`).join('\n')).toMatch(message);
    expect(() => loadPolicyData(doc, '<policy>', { forDeployment: true })).toThrow(message);
  });

  it.each([
    ['dynamodb', { tableName: 'customers', keyAttribute: 'customerId', indexName: 'by-email', indexAttribute: 'email' }],
    ['s3', { bucket: 'archive', prefix: 'customers/{customerId}/invoices/' }],
    ['s3', { bucket: 'archive', tagKey: 'subject' }],
    ['http', { url: 'https://saas.example/erase', secretName: 'lethe/saas' }],
    ['http', { url: 'http://127.0.0.1:9000/erase', secretName: 'lethe/saas' }],
    ['lambda', { functionName: 'my-eraser' }],
    ['http', { url: 'https://saas.example/erase', secretName: 'lethe/saas', verify: true }],
    ['lambda', { functionName: 'my-eraser', verify: true }],
  ])('accepts a %s config that can be deployed', (connector, config) => {
    // (an http or lambda system without verify: true is warned about, below; nothing else)
    const warnings = loadPolicyData(withConfig(connector, config), '<policy>', { forDeployment: true }).warnings;
    expect(warnings.filter((w) => !w.message.includes('cannot verify its erasures'))).toEqual([]);
  });

  // Issue 19: deploying lists the systems whose erasures cannot be verified, as warnings (the policy stays valid).
  it.each([
    ['dynamodb', { tableName: 'customers', keyAttribute: 'customerId' }, false],
    ['s3', { bucket: 'archive', tagKey: 'subject' }, false],
    ['http', { url: 'https://saas.example/erase', secretName: 'lethe/saas' }, true],
    ['http', { url: 'https://saas.example/erase', secretName: 'lethe/saas', verify: false }, true],
    ['http', { url: 'https://saas.example/erase', secretName: 'lethe/saas', verify: true }, false],
    ['lambda', { functionName: 'my-eraser' }, true],
    ['lambda', { functionName: 'my-eraser', verify: true }, false],
  ])('deploying a %s system with %j: warned that it cannot verify: %s', (connector, config, warned) => {
    const deploy = loadPolicyData(withConfig(connector, config), '<policy>', { forDeployment: true }).warnings;
    const verifying = deploy.filter((w) => w.message.includes('cannot verify its erasures: they are recorded "unverified"'));
    expect(verifying).toHaveLength(warned ? 1 : 0);
    // Validating without --deploy says nothing of it.
    const validate = loadPolicyData(withConfig(connector, config)).warnings;
    expect(validate.some((w) => w.message.includes('cannot verify'))).toBe(false);
  });
});

describe('policy maps', () => {
  it.each(['constructor', 'toString', 'hasOwnProperty', '__proto__'])(
    'an id like %s that is not declared is unknown, not an inherited property',
    (id) => {
      const { policy } = loadPolicyData(basePolicyDoc());
      expect(policy.purposes[id]).toBeUndefined();
      expect(policy.systems[id]).toBeUndefined();
      expect(policy.categories[id]).toBeUndefined();
    },
  );
});

describe('many problems', () => {
  /** The base policy plus `n` purposes p0, p1, ... that each name an undeclared category: exactly one problem each. */
  const withBadPurposes = (n: number): Doc =>
    mutate((d) => {
      for (let i = 0; i < n; i++) d.purposes[`p${i}`] = purpose({ categories: [`nope-${i}`] });
    });

  /** The error thrown by `load`, which must be a DocumentError. */
  const refusal = (load: () => unknown): DocumentError => {
    try {
      load();
    } catch (error) {
      if (error instanceof DocumentError) return error;
      throw error;
    }
    throw new Error('expected a DocumentError, but it loaded');
  };

  it('lists 100 problems by default', () => {
    expect(MAX_REPORTED_ISSUES).toBe(100);
  });

  // problems found, maxIssues, how many are listed, the last line when some are left out
  const rows: [number, number | undefined, number, string | undefined][] = [
    [150, undefined, 100, '50 more errors not listed (150 in all; only the first 100 are shown)'],
    [101, undefined, 100, '1 more error not listed (101 in all; only the first 100 are shown)'],
    [100, undefined, 100, undefined],
    [12, 5, 5, '7 more errors not listed (12 in all; only the first 5 are shown)'],
    [5, 5, 5, undefined],
    [150, Infinity, 150, undefined],
  ];
  it.each(rows)('of %i problems with maxIssues %s, lists the first %i, then %p', (n, maxIssues, listed, more) => {
    // GIVEN a YAML policy with n problems, one per purpose, in document order p0, p1, ...
    const text = yamlOf(withBadPurposes(n));
    // WHEN it is loaded
    const error = refusal(() => loadPolicyText(text, 'shop.yaml', { maxIssues }));
    // THEN the first `listed` problems are listed, in document order, each with its position
    const shown = error.issues.slice(0, listed);
    expect(shown.map((i) => i.path)).toEqual(Array.from({ length: listed }, (_, i) => `purposes.p${i}.categories[0]`));
    expect(shown.every((i) => i.line !== undefined)).toBe(true);
    // AND one more line says how many more were found, and only when there were more
    expect(error.issues).toHaveLength(more === undefined ? listed : listed + 1);
    if (more !== undefined) {
      expect(error.issues[listed]).toEqual({ file: 'shop.yaml', path: '', message: more, omitted: n - listed });
      expect(error.message.split('\n').at(-1)).toBe(`shop.yaml: ${more}`);
    }
    // AND the header counts every problem found, listed or not
    expect(error.message.split('\n')[0]).toBe(`policy is invalid (${n} errors):`);
  });

  it('caps problems of a policy given as data too', () => {
    const error = refusal(() => loadPolicyData(withBadPurposes(150)));
    expect(error.issues).toHaveLength(101);
    expect(error.issues[100].message).toBe('50 more errors not listed (150 in all; only the first 100 are shown)');
  });

  it.each([0, -1, 1.5, NaN])('refuses maxIssues %s, naming the value received', (maxIssues) => {
    expect(() => loadPolicyData(basePolicyDoc(), '<policy>', { maxIssues })).toThrow(InputError);
    expect(() => loadPolicyData(basePolicyDoc(), '<policy>', { maxIssues })).toThrow(`got ${maxIssues}`);
  });

  it.each([
    ['YAML', 'p.yaml', `a: 1\n${'a: 1\n'.repeat(150)}`, /^p\.yaml:2:1: malformed YAML: Map keys must be unique/],
    ['JSON', 'p.json', `{"a": 1${', "a": 1'.repeat(150)}}`, /^p\.json:1:10: a: duplicate key "a"/],
  ])('caps the problems of malformed %s the same way', (_name, file, text, first) => {
    // GIVEN a document with 150 duplicate keys, WHEN it is parsed
    const error = refusal(() => loadPolicyText(text, file));
    // THEN the first 100 are listed from the first duplicate on, then how many more
    expect(error.issues).toHaveLength(101);
    expect(error.message.split('\n')[1]).toMatch(first);
    expect(error.issues[100].message).toBe('50 more errors not listed (150 in all; only the first 100 are shown)');
  });

  it.each([
    ['YAML', 'big.yaml', yamlOf, (s: string) => s],
    ['JSON', 'big.json', (doc: unknown) => JSON.stringify(doc, null, 2), (s: string) => JSON.stringify(s)],
  ])('locates problems deep in a large %s mapping at their value or key', (_name, file, write, quote) => {
    // GIVEN 500 valid purposes, one with a bad duration at the end and one with a misspelt key in the middle
    const doc = mutate((d) => {
      for (let i = 0; i < 500; i++) d.purposes[`p${i}`] = purpose();
      d.purposes.p499.retention.keep = '10 years';
      d.purposes.p250.retension = 'x';
    });
    const text = write(doc);
    /** `line:column` of the only occurrence of `word` (quoted in JSON) in the text. */
    const at = (word: string): string => {
      const lines = text.split('\n');
      const line = lines.findIndex((l) => l.includes(quote(word)));
      return `${line + 1}:${lines[line].indexOf(quote(word)) + 1}`;
    };
    // WHEN it is loaded
    const error = refusal(() => loadPolicyText(text, file));
    const where = (path: string): string => {
      const issue = error.issues.find((i) => i.path === path);
      return `${issue?.line}:${issue?.column}`;
    };
    // THEN each problem is at the exact line and column of what is wrong: the value, or the unknown key
    expect(where('purposes.p499.retention.keep')).toBe(at('10 years'));
    expect(where('purposes.p250.retension')).toBe(at('retension'));
  });
});
