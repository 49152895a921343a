import * as path from 'node:path';
import { consoleLang, consolePolicy, defaultDuration, durationParts, waitsFor } from '../../../lib/console/policy-view';
import { ConsoleRequestError } from '../../../lib/console/errors';
import { loadPolicyFile } from '../../../lib/policy/load';
import { buildRegister } from '../../../lib/register/register';

const EXAMPLES = path.join(__dirname, '..', '..', '..', 'examples');
const dh = loadPolicyFile(path.join(EXAMPLES, 'dh-solutions.yaml'));
const digmi = loadPolicyFile(path.join(EXAMPLES, 'digmi-group.yaml'));

describe('the policy as the console shows it', () => {
  it('lists every purpose in the policy order, with the register words, its clock, what it waits for and its systems', () => {
    // GIVEN the example policy WHEN shown in English
    const shown = consolePolicy(dh.policy, dh.hash, 'en');
    // THEN controller, hash and zone are the policy's, and each purpose is there once, in order
    expect(shown).toMatchObject({ controller: 'DH Solutions AB', policyHash: dh.hash, timeZone: 'Europe/Stockholm' });
    expect(shown.purposes.map((p) => p.id)).toEqual(Object.keys(dh.policy.purposes));
    const byId = Object.fromEntries(shown.purposes.map((p) => [p.id, p]));
    expect(byId['customer-relationship']).toEqual({
      id: 'customer-relationship',
      name: 'Customer and partner relationships',
      legalBasis: 'Performance of a contract, Art. 6(1)(b)',
      per: 'subject',
      clock: '6 months after the end of the customer or partner relationship',
      waitsFor: ['relationship-ended'],
      duration: 'P6M',
      keep: { months: 6 },
      indefinite: false,
      onExpiry: 'erase',
      systems: ['crm'],
    });
    // the law, where the policy names one; a clock per item
    expect(byId.bookkeeping).toMatchObject({
      law: 'Bokföringslagen (1999:1078) 7 kap. 2 §',
      per: 'item',
      waitsFor: ['invoiced'],
      duration: 'P7Y',
    });
    // until an event only: no duration; the earliest of two events: both waited for
    expect(byId['marketing-email']).toMatchObject({ waitsFor: ['unsubscribed', 'relationship-ended'], duration: null });
    expect(byId['marketing-email']).not.toHaveProperty('keep');
    // from collection: waits for nothing
    expect(byId['infrastructure-logs']).toMatchObject({ waitsFor: [], duration: 'P90D', keep: { days: 90 } });
  });

  it('words the clock and the legal basis as the register does, in Swedish when asked', () => {
    const register = buildRegister(dh.policy, dh.hash, { lang: 'sv' });
    const shown = consolePolicy(dh.policy, dh.hash, 'sv');
    expect(shown.purposes.map((p) => [p.clock, p.legalBasis])).toEqual(register.activities.map((a) => [a.retention, a.legalBasis]));
    expect(shown.purposes[0].legalBasis).toBe('Avtal, art. 6.1 b');
  });

  it('a purpose kept indefinitely has no duration', () => {
    const indefinite = Object.values(digmi.policy.purposes).filter((p) => p.retention.cases.at(-1)?.rule.kind === 'indefinite');
    expect(indefinite.length).toBeGreaterThan(0);
    for (const p of indefinite) expect(defaultDuration(p.retention)).toBeNull();
    // AND the console says so, without keep
    const shown = consolePolicy(digmi.policy, digmi.hash, 'en').purposes.filter((p) => indefinite.some((i) => i.id === p.id));
    expect(shown.map((p) => [p.indefinite, p.duration, 'keep' in p])).toEqual(indefinite.map(() => [true, null, false]));
  });

  it.each([
    { duration: 'P7Y', parts: { years: 7 } },
    { duration: 'P1Y6M', parts: { years: 1, months: 6 } },
    { duration: 'P2W', parts: { weeks: 2 } },
    { duration: 'PT36H', parts: { hours: 36 } },
  ])('durationParts($duration) is $parts', ({ duration, parts }) => {
    expect(durationParts(duration)).toEqual(parts);
  });

  it('waitsFor names each event once, and never collection', () => {
    expect(
      waitsFor({
        cases: [
          {
            when: { kind: 'occurred', event: 'a', since: 'any' },
            rule: { kind: 'duration', from: { kind: 'event', event: 'a', since: 'any' }, keep: 'P1Y', form: 'from' },
          },
          {
            rule: {
              kind: 'duration',
              from: {
                kind: 'latestOf',
                anchors: [
                  { kind: 'collected' },
                  { kind: 'add', duration: 'P1M', to: { kind: 'event', event: 'a', since: 'any' } },
                  { kind: 'endOfFiscalYear', of: { kind: 'event', event: 'b', since: 'any' } },
                ],
              },
              keep: 'P2Y',
              form: 'from',
            },
          },
        ],
      }),
    ).toEqual(['a', 'b']);
  });
});

describe('?lang=', () => {
  it.each([
    [null, 'en'],
    ['', 'en'],
    ['en', 'en'],
    ['sv', 'sv'],
  ])('%p is %s', (value, lang) => expect(consoleLang(value)).toBe(lang));

  it.each(['de', 'EN', 'sv-SE'])('"%s" is a 400 naming the languages', (value) => {
    const error = (() => {
      try {
        consoleLang(value);
      } catch (e) {
        return e as ConsoleRequestError;
      }
      throw new Error('accepted');
    })();
    expect(error).toBeInstanceOf(ConsoleRequestError);
    expect([error.status, error.message]).toEqual([400, 'lang: expected one of en, sv']);
  });
});
