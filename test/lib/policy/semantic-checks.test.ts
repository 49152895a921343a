import { PolicyValidationError } from '../../../lib/policy/errors';
import { loadPolicyData, loadPolicyText } from '../../../lib/policy/load';
import { type Doc, issueAt, issuesOf, mutate, purposeDoc as purpose, yamlOf } from '../../helpers/policy';

/** The base policy at `version` (2 unless given), with `change` applied. */
const v2 = (change: (doc: Doc) => void = () => undefined, version = 2): Doc => mutate(change, { version });

/** The warnings of the language (the base policy's systems have no connector config, which is warned about too). */
const warningsOf = (doc: unknown): string[] =>
  loadPolicyData(doc)
    .warnings.map((i) => `${i.path}: ${i.message}`)
    .filter((w) => !w.includes('has no config'));

describe('version 2 validation', () => {
  it('accepts every version 2 form of the spec and builds the model', () => {
    // GIVEN a version 2 policy using each new key
    const doc = v2((d) => {
      d.controller.dpo = { name: 'Dataskyddsombud', contact: 'dso@example.se' };
      d.controller.representative = { name: 'Rep GmbH', contact: 'rep@example.de' };
      d.controller.jointControllers = [{ name: 'Partner AB', contact: 'info@partner.se', responsibility: 'event registration' }];
      d.events = { invoiced: { description: 'the invoice is issued' }, 'ticket-closed': null, unsubscribed: {} };
      d.security = ['Access control with two-factor authentication'];
      d.deployment.processor = false;
      d.purposes.service = purpose({
        legalBasis: ['contract', 'legal-obligation'],
        law: 'Bokföringslagen (1999:1078) 7 kap. 2 §',
        retainReason: 'The law says so.',
        per: 'item',
        retention: { from: { endOfYear: { event: 'invoiced', since: 'any' }, fiscal: true }, keep: 'P7Y' },
      });
      d.purposes.support = purpose({
        categories: ['identity', 'health'],
        specialCategoryCondition: 'explicit-consent',
        retention: {
          cases: [
            { when: { occurred: 'ticket-closed', since: 'collected' }, until: 'ticket-closed', keep: 'P36M' },
            { until: 'request-handled' },
          ],
        },
      });
    });
    // WHEN it is loaded
    const { policy } = loadPolicyData(doc);
    // THEN the model carries every new fact, with the defaults of the spec
    expect(warningsOf(doc)).toEqual([]);
    expect(policy.version).toBe(2);
    expect(policy.controller).toEqual({
      name: 'Exempel AB',
      id: '556000-0000',
      contact: 'dpo@example.se',
      supervisoryAuthority: undefined,
      dpo: { name: 'Dataskyddsombud', contact: 'dso@example.se' },
      representative: { name: 'Rep GmbH', contact: 'rep@example.de' },
      jointControllers: [{ name: 'Partner AB', contact: 'info@partner.se', responsibility: 'event registration' }],
    });
    expect(policy.events).toEqual(['invoiced', 'ticket-closed', 'unsubscribed']);
    expect({ ...policy.eventDescriptions }).toEqual({
      invoiced: 'the invoice is issued',
      'ticket-closed': undefined,
      unsubscribed: undefined,
    });
    expect(policy.security).toEqual(['Access control with two-factor authentication']);
    expect(policy.deployment.processor).toBeNull();
    const service = policy.purposes.service;
    expect(service.legalBases).toEqual(['contract', 'legal-obligation']);
    expect(service.onErasureRequest).toBe('retain');
    expect(service.per).toBe('item');
    expect(service.retention.cases[0].rule).toEqual({
      kind: 'duration',
      form: 'from',
      keep: 'P7Y',
      from: { kind: 'endOfYear', fiscal: true, of: { kind: 'event', event: 'invoiced', since: 'any' } },
    });
    // a bare event and `until` take version 2's default since: collected
    expect(policy.purposes.support.retention.cases).toEqual([
      {
        when: { kind: 'occurred', event: 'ticket-closed', since: 'collected' },
        rule: { kind: 'duration', form: 'until', keep: 'P36M', from: { kind: 'event', event: 'ticket-closed', since: 'collected' } },
      },
      { rule: { kind: 'duration', form: 'until', keep: 'P0D', from: { kind: 'event', event: 'request-handled', since: 'collected' } } },
    ]);
    expect(policy.purposes.support.per).toBe('subject');
  });

  it('gives version 1 files version 1 meaning (since: any) and lists AWS as processor by default', () => {
    const { policy } = loadPolicyData(v2((d) => (d.purposes.service.retention = { until: 'account-closed' }), 1));
    expect(policy.version).toBe(1);
    expect(policy.purposes.service.retention.cases[0].rule).toMatchObject({
      from: { kind: 'event', event: 'account-closed', since: 'any' },
    });
    expect(policy.deployment.processor).toBe('Amazon Web Services EMEA SARL');
  });

  // One row per new rule: the mutation, the path and the message expected.
  const rows: [string, (d: Doc) => void, string, RegExp][] = [
    [
      'since is collected or any (anchor)',
      (d) => (d.purposes.service.retention = { keep: 'P1Y', from: { event: 'invoiced', since: 'ever' } }),
      'purposes.service.retention.from.since',
      /expected since: collected \| any/,
    ],
    [
      'since is collected or any (condition)',
      (d) => (d.purposes.service.retention = { cases: [{ when: { occurred: 'invoiced', since: 'x' }, keep: 'P1Y' }, { keep: 'P2Y' }] }),
      'purposes.service.retention.cases[0].when.since',
      /expected since: collected \| any/,
    ],
    [
      'an explicit event anchor names a declared event',
      (d) => (d.purposes.service.retention = { keep: 'P1Y', from: { event: 'paid' } }),
      'purposes.service.retention.from.event',
      /unknown event type "paid"/,
    ],
    [
      'until in the explicit form names a declared event',
      (d) => (d.purposes.service.retention = { until: { event: 'paid', since: 'any' } }),
      'purposes.service.retention.until.event',
      /unknown event type "paid"/,
    ],
    ['per is subject or item', (d) => (d.purposes.service.per = 'order'), 'purposes.service.per', /expected per: subject \| item/],
    ['request-handled is built in (list form)', (d) => d.events.push('request-handled'), 'events[6]', /"request-handled" is built in/],
    [
      'request-handled is built in (map form)',
      (d) => (d.events = { 'request-handled': { description: 'x' } }),
      'events.request-handled',
      /"request-handled" is built in/,
    ],
    ['collected is built in (map form)', (d) => (d.events = { collected: {} }), 'events.collected', /"collected" is built in/],
    [
      'an event description is text',
      (d) => (d.events = { invoiced: { description: 5 } }),
      'events.invoiced.description',
      /expected a description/,
    ],
    [
      'an event declaration has only a description',
      (d) => (d.events = { invoiced: { desc: 'x' } }),
      'events.invoiced.desc',
      /unknown key "desc"/,
    ],
    [
      'a legal basis list has known bases',
      (d) => (d.purposes.service.legalBasis = ['contract', 'whim']),
      'purposes.service.legalBasis[1]',
      /expected legalBasis/,
    ],
    [
      'a legal basis list is not empty',
      (d) => (d.purposes.service.legalBasis = []),
      'purposes.service.legalBasis',
      /expected at least one legal basis/,
    ],
    [
      'a legal basis is listed once',
      (d) => (d.purposes.service.legalBasis = ['contract', 'contract']),
      'purposes.service.legalBasis[1]',
      /legal basis "contract" is listed twice/,
    ],
    [
      'legal-obligation in a list needs law',
      (d) => (d.purposes.service.legalBasis = ['contract', 'legal-obligation']),
      'purposes.service.law',
      /needs `law`/,
    ],
    [
      'legal-obligation in a list makes retain the default, which needs retainReason',
      (d) => (d.purposes.service = purpose({ legalBasis: ['consent', 'legal-obligation'], law: 'X' })),
      'purposes.service.retainReason',
      /defaults to retain/,
    ],
    [
      'a special category needs its Art. 9(2) condition in version 2',
      (d) => (d.purposes.service.categories = ['identity', 'health']),
      'purposes.service.specialCategoryCondition',
      /special category "health" \(Art\. 9\)/,
    ],
    [
      'the Art. 9(2) condition is one of the spec',
      (d) => (d.purposes.service.specialCategoryCondition = 'because'),
      'purposes.service.specialCategoryCondition',
      /expected specialCategoryCondition: explicit-consent \| employment/,
    ],
    [
      'the DPO has a contact',
      (d) => (d.controller.dpo = { name: 'X' }),
      'controller.dpo.contact',
      /missing: expected the data protection officer's contact/,
    ],
    [
      'a joint controller states its responsibility',
      (d) => (d.controller.jointControllers = [{ name: 'X', contact: 'y' }]),
      'controller.jointControllers[0].responsibility',
      /responsibility/,
    ],
    ['the representative has a name', (d) => (d.controller.representative = { contact: 'y' }), 'controller.representative.name', /name/],
    ['security is a list of text', (d) => (d.security = 'encrypted'), 'security', /expected array/i],
    [
      'deployment.processor is a name or false',
      (d) => (d.deployment.processor = true),
      'deployment.processor',
      /expected processor: the name of the processor hosting Lethe, or false/,
    ],
    ['version is 1 or 2', (d) => (d.version = '2'), 'version', /expected version: 1 or 2/],
  ];

  it.each(rows)('%s', (_name, change, path, message) => {
    // GIVEN a valid version 2 policy with one rule broken
    const doc = v2(change);
    // WHEN it is validated
    const issues = issuesOf(doc);
    // THEN an issue names the path and says what was expected
    expect(issues).toEqual(expect.arrayContaining([issueAt(path, message)]));
  });

  it('reports the position of a version 2 error in the file', () => {
    // GIVEN YAML text with an unknown `since`
    const text = yamlOf(v2((d) => (d.purposes.service.retention = { keep: 'P1Y', from: { event: 'invoiced', since: 'ever' } })));
    // WHEN it is loaded
    // THEN the error carries line and column of the value
    const line = text.split('\n').findIndex((l) => l.includes('since: ever')) + 1;
    expect(() => loadPolicyText(text)).toThrow(PolicyValidationError);
    try {
      loadPolicyText(text);
    } catch (error) {
      const [issue] = (error as PolicyValidationError).issues;
      expect(issue).toMatchObject({ line, path: 'purposes.service.retention.from.since' });
      expect(issue.column).toBeGreaterThan(1);
    }
  });

  it('warns version 1 files, without failing them, where version 2 would change the meaning', () => {
    // GIVEN a version 1 policy whose rule uses an event, and a special category without a condition
    const doc = v2((d) => {
      d.purposes.service.retention = { until: 'account-closed', keep: 'P1Y' };
      d.purposes.service.categories = ['identity', 'health'];
    }, 1);
    // WHEN it is validated
    // THEN it is valid, with both warnings of spec 2.1 and 2.5
    expect(issuesOf(doc)).toEqual([]);
    expect(warningsOf(doc)).toEqual([
      expect.stringMatching(/^purposes\.service\.specialCategoryCondition: purpose uses the special category "health"/),
      expect.stringMatching(
        /^version: version 1 counts an event even when it happened before a holding.s collection \("account-closed" in purposes service\).*set `version: 2`/,
      ),
    ]);
  });

  it('does not warn a version 1 file whose rules use no event about 2.1', () => {
    expect(warningsOf(v2(() => undefined, 1))).toEqual([]);
  });

  it('accepts request-handled declared in a version 1 file (it meant the same event)', () => {
    expect(issuesOf(v2((d) => d.events.push('request-handled'), 1))).toEqual([]);
  });
});
