/**
 * The register (spec 2.6): every item of Art. 30(1)(a)–(g) in English and Swedish, time limits worded with the
 * events' descriptions and never nested, processors (the deployment included), hosting locations and transfers
 * from the systems, the date and the full policy hash, and the csv and json forms.
 */
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { InputError } from '../../../lib/core/errors';
import { type AnchorInput, type RetentionInput } from '../../../lib/policy/schema';
import { toRetention } from '../../../lib/policy/model';
import { buildRegister, REGISTER_LANGS, type RegisterLang, renderRegister } from '../../../lib/register/register';
import { describeTimeLimit } from '../../../lib/retention/describe';
import { basePolicyDoc, policyFromDoc } from '../../helpers/policy';

const HASH = 'a3f1c2d4e5b6978812345678abcdef0123456789abcdef0123456789abcdef01';

/** A version 2 policy that uses every key the register reads. */
function fullDoc(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return basePolicyDoc({
    version: 2,
    controller: {
      name: 'Exempel AB',
      id: '556000-0000',
      contact: 'hej@exempel.se',
      supervisoryAuthority: 'Integritetsskyddsmyndigheten (IMY)',
      dpo: { name: 'Dana Ombud', contact: 'dso@exempel.se' },
      representative: { name: 'Rep GmbH', contact: 'rep@example.de' },
      jointControllers: [
        { name: 'Plattform Ltd', contact: 'privacy@plattform.example', responsibility: 'Collecting cookie data on our site' },
      ],
    },
    fiscalYearEnd: '06-30',
    events: {
      'order-completed': { description: 'the delivery of the order' },
      invoiced: { description: 'the invoice' },
      contact: { description: 'the latest contact with us' },
      unsubscribed: null,
    },
    security: ['Staff are trained in data protection every year'],
    categories: {
      identity: { description: 'Name' },
      contact: { description: 'E-mail, phone' },
      order: { description: 'Order history' },
      health: { description: 'Allergies', special: true },
    },
    systems: {
      crm: {
        description: 'Customer database',
        connector: 'dynamodb',
        location: 'eu-north-1',
        config: { tableName: 'crm', keyAttribute: 'id' },
        fields: { name: { category: 'identity' }, email: { category: 'contact' }, allergies: { category: 'health' } },
      },
      invoices: {
        connector: 's3',
        location: 'SE',
        processor: 'Fortnox AB',
        config: { bucket: 'b', prefix: 'p/{subjectId}/' },
        fields: { name: { category: 'identity' }, amount: { category: 'order' } },
      },
      mailer: {
        connector: 'http',
        location: 'US',
        transferSafeguard: 'EU-US Data Privacy Framework',
        processor: 'Mailer Inc.',
        config: { url: 'https://hooks.example/erase', secretName: 's' },
        fields: { email: { category: 'contact' } },
      },
    },
    purposes: {
      orders: {
        description: 'Managing orders: registering and delivering them.',
        legalBasis: ['contract', 'legitimate-interest'],
        per: 'item',
        categories: ['identity', 'contact', 'order'],
        systems: ['crm', 'invoices'],
        retention: { from: 'order-completed', keep: 'P10Y' },
        dataSubjects: ['Customers'],
        recipients: ['Carriers'],
      },
      bookkeeping: {
        description: 'Bookkeeping',
        legalBasis: 'legal-obligation',
        law: 'Bokföringslagen (1999:1078) 7 kap. 2 §',
        retainReason: 'The Bookkeeping Act requires it.',
        per: 'item',
        categories: ['identity', 'order'],
        systems: ['invoices'],
        retention: { from: { endOfYear: 'invoiced', fiscal: true }, keep: 'P7Y' },
      },
      events: {
        description: 'Events',
        legalBasis: 'consent',
        specialCategoryCondition: 'explicit-consent',
        categories: ['identity', 'health'],
        systems: ['crm'],
        retention: { from: { add: 'P12M', to: { add: 'P12M', to: 'contact' } }, keep: 'P0D' },
      },
      newsletter: {
        description: 'Newsletter',
        legalBasis: 'consent',
        categories: ['contact'],
        systems: ['mailer'],
        retention: { until: 'unsubscribed' },
      },
    },
    ...overrides,
  });
}

const policy = policyFromDoc(fullDoc());
const md = (lang: RegisterLang, date: string | undefined = '2026-12-04') =>
  renderRegister(buildRegister(policy, HASH, { lang, date }), 'md');

describe('buildRegister / renderRegister md: every item of Art. 30(1)(a)–(g)', () => {
  const items: Record<RegisterLang, readonly (readonly [string, RegExp])[]> = {
    en: [
      ['title', /^# Record of processing activities\n/],
      ['(a) controller', /^## Controller \(Art\. 30\(1\)\(a\)\)$/m],
      ['(a) name', /^\| Name \| Exempel AB \|$/m],
      ['(a) organisation number', /^\| Organisation number \| 556000-0000 \|$/m],
      ['(a) contact', /^\| Contact \| hej@exempel\.se \|$/m],
      ['(a) DPO', /^\| Data protection officer \| Dana Ombud, dso@exempel\.se \|$/m],
      ['(a) representative', /^\| Representative \(Art\. 27\) \| Rep GmbH, rep@example\.de \|$/m],
      [
        '(a) joint controller with responsibility',
        /^- \*\*Plattform Ltd\*\* \(privacy@plattform\.example\): Collecting cookie data on our site$/m,
      ],
      [
        'summary',
        /^\| 1 \| Managing orders \| Performance of a contract, Art\. 6\(1\)\(b\); Legitimate interests, Art\. 6\(1\)\(f\) \| 10 years after/m,
      ],
      ['(b) purpose', /^\| \(b\) \| Purpose \| Managing orders: registering and delivering them\. \|$/m],
      [
        'legal basis with law',
        /^\| {2}\| Legal basis \| Legal obligation, Art\. 6\(1\)\(c\): Bokföringslagen \(1999:1078\) 7 kap\. 2 § \|$/m,
      ],
      ['Art. 9(2) condition', /^\| {2}\| Condition for special categories \(Art\. 9\(2\)\) \| Explicit consent, Art\. 9\(2\)\(a\) \|$/m],
      ['(c) data subjects', /^\| \(c\) \| Categories of data subjects \| Customers \|$/m],
      [
        '(c) special category marked',
        /^\| \(c\) \| Categories of personal data \| identity \(Name\); health \(Allergies\) — special category, Art\. 9 \|$/m,
      ],
      [
        '(d) recipients incl. processors and the deployment',
        /^\| \(d\) \| Recipients \| Carriers; Fortnox AB \(processor, invoices\); Amazon Web Services EMEA SARL \(processor hosting Lethe, Sweden \(eu-north-1\)\) \|$/m,
      ],
      [
        '(e) transfer with safeguard',
        /^\| \(e\) \| Transfers to third countries \| mailer → United States: EU-US Data Privacy Framework \|$/m,
      ],
      ['(e) hosting locations', /^\| \(e\) \| Where the data is held \| Sweden \(eu-north-1\): crm, Lethe; Sweden: invoices \|$/m],
      [
        '(f) time limit',
        /^\| \(f\) \| Time limit for erasure \| 7 years from the end of the calendar year in which the fiscal year of the invoice ended \(counted separately for each item\); then erased \|$/m,
      ],
      ['(g) security heading', /^## Technical and organisational security measures \(Art\. 30\(1\)\(g\)\)$/m],
      ['(g) controller measure', /^- Staff are trained in data protection every year$/m],
      ['(g) KMS keys', /^- Encryption at rest with customer-managed AWS KMS keys/m],
      ['(g) point-in-time recovery', /^- Point-in-time recovery of the ledger/m],
      ['(g) Object Lock audit trail', /^- An audit trail .* Object Lock/m],
      ['(g) least-privilege roles', /^- Least-privilege IAM roles: each connector has its own role/m],
      ['(g) region pinning', /^- Region pinning: .*\(Sweden \(eu-north-1\)\)/m],
      ['date', /^\| Date \| 2026-12-04 \|$/m],
      ['full hash', new RegExp(`^\\| SHA-256 of the policy \\| \`${HASH}\` \\|$`, 'm')],
      ['fiscal year', /^\| Fiscal year \| 1 July to 30 June \|$/m],
    ],
    sv: [
      ['title', /^# Registerförteckning enligt artikel 30\.1 dataskyddsförordningen\n/],
      ['(a) controller', /^## Personuppgiftsansvarig \(art\. 30\.1 a\)$/m],
      ['(a) name', /^\| Namn \| Exempel AB \|$/m],
      ['(a) organisation number', /^\| Organisationsnummer \| 556000-0000 \|$/m],
      ['(a) contact', /^\| Kontaktuppgifter \| hej@exempel\.se \|$/m],
      ['(a) DPO', /^\| Dataskyddsombud \| Dana Ombud, dso@exempel\.se \|$/m],
      ['(a) representative', /^\| Företrädare \(art\. 27\) \| Rep GmbH, rep@example\.de \|$/m],
      [
        '(a) joint controller with responsibility',
        /^- \*\*Plattform Ltd\*\* \(privacy@plattform\.example\): Collecting cookie data on our site$/m,
      ],
      ['summary', /^\| Nr \| Ändamål \| Rättslig grund \| Lagringstid \(gallringsfrist\) \| Överföring till tredjeland \|$/m],
      ['(b) purpose', /^\| \(b\) \| Ändamål \| Managing orders: registering and delivering them\. \|$/m],
      ['legal bases', /^\| {2}\| Rättslig grund \| Avtal, art\. 6\.1 b; Berättigat intresse, art\. 6\.1 f \|$/m],
      [
        'legal basis with law',
        /^\| {2}\| Rättslig grund \| Rättslig förpliktelse, art\. 6\.1 c: Bokföringslagen \(1999:1078\) 7 kap\. 2 § \|$/m,
      ],
      ['consent', /^\| {2}\| Rättslig grund \| Samtycke, art\. 6\.1 a \|$/m],
      ['Art. 9(2) condition', /^\| {2}\| Undantag för känsliga personuppgifter \(art\. 9\.2\) \| Uttryckligt samtycke, art\. 9\.2 a \|$/m],
      ['(c) data subjects', /^\| \(c\) \| Kategorier av registrerade \| Customers \|$/m],
      [
        '(c) special category marked',
        /^\| \(c\) \| Kategorier av personuppgifter \| identity \(Name\); health \(Allergies\) — känslig personuppgift, art\. 9 \|$/m,
      ],
      [
        '(d) recipients incl. processors and the deployment',
        /^\| \(d\) \| Mottagare \| Carriers; Fortnox AB \(personuppgiftsbiträde, invoices\); Amazon Web Services EMEA SARL \(personuppgiftsbiträde som driftar Lethe, Sverige \(eu-north-1\)\) \|$/m,
      ],
      ['(e) transfer with safeguard', /^\| \(e\) \| Överföring till tredjeland \| mailer → USA: EU-US Data Privacy Framework \|$/m],
      ['(e) hosting locations', /^\| \(e\) \| Var uppgifterna lagras \| Sverige \(eu-north-1\): crm, Lethe; Sverige: invoices \|$/m],
      [
        '(f) time limit',
        /^\| \(f\) \| Lagringstid \(gallringsfrist\) \| 7 år från utgången av det kalenderår då räkenskapsåret för ”the invoice” avslutades \(räknas separat för varje enskild post\); därefter raderas uppgifterna \|$/m,
      ],
      ['(g) security heading', /^## Tekniska och organisatoriska säkerhetsåtgärder \(art\. 30\.1 g\)$/m],
      ['(g) controller measure', /^- Staff are trained in data protection every year$/m],
      ['(g) KMS keys', /^- Kryptering av lagrade uppgifter med kundhanterade krypteringsnycklar i AWS KMS/m],
      ['(g) point-in-time recovery', /^- Återställning till valfri tidpunkt \(point-in-time recovery\)/m],
      ['(g) Object Lock audit trail', /^- Varje radering och gallring loggas .* Object Lock/m],
      ['(g) least-privilege roles', /^- Behörigheter enligt principen om minsta möjliga behörighet/m],
      ['(g) region pinning', /^- Regionlåsning: .*\(Sverige \(eu-north-1\)\)/m],
      ['date', /^\| Datum \| 2026-12-04 \|$/m],
      ['full hash', new RegExp(`^\\| Policyns SHA-256-kontrollsumma \\| \`${HASH}\` \\|$`, 'm')],
      ['fiscal year', /^\| Räkenskapsår \| 1 juli–30 juni \|$/m],
      ['the note on free text', /återges som de står i policyn, på policyns språk/],
    ],
  };

  it.each(REGISTER_LANGS.flatMap((lang) => items[lang].map(([item, pattern]) => [lang, item, pattern] as const)))(
    '%s: %s',
    (lang, _item, pattern) => {
      // GIVEN a version 2 policy using every key of spec 2.6 / WHEN its register is rendered / THEN the item is there
      expect(md(lang)).toMatch(pattern);
    },
  );

  it.each(REGISTER_LANGS)('%s: one section per purpose, in policy order, each with every Art. 30(1)(b)–(f) row', (lang) => {
    const text = md(lang);
    const sections = text.split(/^### \d+\. /m).slice(1);
    const headings = sections.map((s) => s.slice(0, s.indexOf('\n')));
    expect(headings.filter((h) => h.includes('(`'))).toEqual([
      'Managing orders (`orders`)',
      'Bookkeeping (`bookkeeping`)',
      'Events (`events`)',
      'Newsletter (`newsletter`)',
    ]);
    for (const section of sections.filter((s) => s.includes('(`'))) {
      const articles = [...section.matchAll(/^\| (\([b-f]\)) \|/gm)].map((m) => m[1]);
      expect([...new Set(articles)]).toEqual(['(b)', '(c)', '(d)', '(e)', '(f)']);
    }
  });

  it.each([
    ['Managing orders: registering them.', 'Managing orders'],
    ['Invoices, e.g. credit notes, kept by law. More text.', 'Invoices, e.g. credit notes, kept by law'],
    ['Support\nby e-mail; phone', 'Support by e-mail'],
    [`${'A very long first sentence without any colon '.repeat(3)}ends here.`, 'Long purpose id'],
    [undefined, 'Long purpose id'],
  ])('heads a section with a short title: %j → %s', (description, title) => {
    const doc = basePolicyDoc({
      purposes: {
        'long-purpose-id': { description, legalBasis: 'contract', categories: ['identity'], systems: ['crm'], retention: { keep: 'P1Y' } },
      },
    });
    const register = buildRegister(policyFromDoc(doc), HASH);
    expect(register.activities[0].title).toBe(title);
    expect(renderRegister(register, 'md')).toContain(`### 1. ${title} (\`long-purpose-id\`)`);
  });

  it('leaves the date line out when no date is given, and keeps the full hash', () => {
    const text = renderRegister(buildRegister(policy, HASH, { lang: 'en' }), 'md');
    expect(text).not.toMatch(/\| Date \|/);
    expect(text).toContain(`| SHA-256 of the policy | \`${HASH}\` |`);
    expect(text).not.toMatch(/Policy version \(SHA-256\)/);
  });

  it.each([['2026-13-01'], ['2026-02-30'], ['4 Dec 2026'], ['2026-12-04T00:00:00Z']])('rejects the date %s naming it', (date) => {
    expect(() => buildRegister(policy, HASH, { date })).toThrow(InputError);
    expect(() => buildRegister(policy, HASH, { date })).toThrow(
      `date: expected the register's date as YYYY-MM-DD, e.g. 2026-12-04; got "${date}"`,
    );
  });

  it('rejects a language it does not have', () => {
    expect(() => buildRegister(policy, HASH, { lang: 'de' as RegisterLang })).toThrow(
      /lang: expected the register's language to be one of en, sv; got "de"/,
    );
  });

  it('says so where the policy names no DPO, representative or joint controller, and no Art. 9(2) condition (version 1)', () => {
    // GIVEN a version 1 policy (a missing condition is only a warning there) without the new controller keys
    const v1 = policyFromDoc(
      basePolicyDoc({
        purposes: {
          events: { legalBasis: 'consent', categories: ['identity', 'health'], systems: ['crm'], retention: { keep: 'P1Y' } },
        },
      }),
    );
    const text = renderRegister(buildRegister(v1, HASH, { lang: 'en' }), 'md');
    expect(text).toMatch(/^\| Data protection officer \| None named \|$/m);
    expect(text).toMatch(/^\| Representative \(Art\. 27\) \| None named \|$/m);
    expect(text).toMatch(/^\| Joint controllers \(Art\. 26\) \| None \|$/m);
    expect(text).toMatch(/^\| {2}\| Condition for special categories \(Art\. 9\(2\)\) \| Not stated in the policy \|$/m);
    expect(text).toMatch(/^### Measures of the controller\n\nNot stated in the policy$/m);
    const sv = renderRegister(buildRegister(v1, HASH, { lang: 'sv' }), 'md');
    expect(sv).toMatch(/^\| Dataskyddsombud \| Inget angivet \|$/m);
    expect(sv).toMatch(/^\| Företrädare \(art\. 27\) \| Ingen angiven \|$/m);
    expect(sv).toMatch(/^\| \(e\) \| Överföring till tredjeland \| Ingen \|$/m);
    expect(sv).toMatch(/^\| {2}\| Undantag för känsliga personuppgifter \(art\. 9\.2\) \| Anges inte i policyn \|$/m);
  });
});

describe("the register's note on its hash (issue 20, item 7)", () => {
  // The hash is over the validated policy's content (docs/register.md), not the file's bytes: a DPO who runs
  // sha256sum on the file gets another value, so the register must not say it identifies the file.
  it.each([
    { lang: 'en' as const, wrong: /identifies the policy file/, right: /policy's content/ },
    { lang: 'sv' as const, wrong: /identifierar den policyfil/, right: /policyns innehåll/ },
  ])("in $lang, says the hash identifies the policy's content, not its file", ({ lang, wrong, right }) => {
    // GIVEN a register WHEN rendered THEN its note names the content and does not claim the file
    const text = md(lang);
    expect(text).not.toMatch(wrong);
    expect(text).toMatch(right);
  });
});

describe("recipients: the systems' processors and the deployment itself (Art. 30(1)(d))", () => {
  it.each([
    ['default', undefined, { name: 'Amazon Web Services EMEA SARL', systems: [], hostsLethe: true }],
    ['named', 'AWS EMEA SARL (Luxembourg)', { name: 'AWS EMEA SARL (Luxembourg)', systems: [], hostsLethe: true }],
    ['left out with processor: false', false, undefined],
  ] as const)('the deployment as processor, %s', (_case, processor, expected) => {
    const doc = fullDoc();
    const deployment = processor === undefined ? { regions: ['eu-north-1'] } : { regions: ['eu-north-1'], processor };
    const register = buildRegister(policyFromDoc({ ...doc, deployment }), HASH, { lang: 'en' });
    const orders = register.activities.find((a) => a.purpose === 'orders')!;
    expect(orders.processors).toEqual([{ name: 'Fortnox AB', systems: ['invoices'], hostsLethe: false }, ...(expected ? [expected] : [])]);
    expect(register.deploymentProcessor).toBe(expected?.name ?? null);
    if (expected) expect(orders.recipients).toContain(`${expected.name} (processor hosting Lethe, Sweden (eu-north-1))`);
    else expect(orders.recipients).toEqual(['Carriers', 'Fortnox AB (processor, invoices)']);
  });

  it('names one vendor once with every system it operates for the purpose', () => {
    const doc = fullDoc();
    const systems = doc.systems as Record<string, Record<string, unknown>>;
    const shared = policyFromDoc({ ...doc, systems: { ...systems, crm: { ...systems.crm, processor: 'Fortnox AB' } } });
    const orders = buildRegister(shared, HASH).activities.find((a) => a.purpose === 'orders')!;
    expect(orders.processors[0]).toEqual({ name: 'Fortnox AB', systems: ['crm', 'invoices'], hostsLethe: false });
    expect(orders.recipients).toContain('Fortnox AB (processor, crm, invoices)');
  });
});

describe('hosting locations and transfers come from the systems (Art. 30(1)(e))', () => {
  it('lists every location of the purpose, and each third-country one as a transfer with its safeguard', () => {
    const register = buildRegister(policy, HASH, { lang: 'en' });
    const byPurpose = Object.fromEntries(
      register.activities.map((a) => [a.purpose, { hosting: a.hostingLocations, transfers: a.transfers }]),
    );
    expect(byPurpose.newsletter).toEqual({
      hosting: [
        { location: 'United States', inEuEea: false, holders: ['mailer'] },
        { location: 'Sweden (eu-north-1)', inEuEea: true, holders: ['Lethe'] },
      ],
      transfers: [{ system: 'mailer', location: 'United States', safeguard: 'EU-US Data Privacy Framework' }],
    });
    expect(byPurpose.orders).toEqual({
      hosting: [
        { location: 'Sweden (eu-north-1)', inEuEea: true, holders: ['crm', 'Lethe'] },
        { location: 'Sweden', inEuEea: true, holders: ['invoices'] },
      ],
      transfers: [],
    });
  });

  it('lists a deployment region in an adequacy country as a transfer on the adequacy decision', () => {
    const adequacy = policyFromDoc({ ...fullDoc(), deployment: { regions: ['eu-west-2'], allowAdequacyRegions: true } });
    const orders = buildRegister(adequacy, HASH, { lang: 'sv' }).activities.find((a) => a.purpose === 'orders')!;
    expect(orders.transfers).toEqual([
      { system: 'Lethe', location: 'Storbritannien (eu-west-2)', safeguard: 'beslut om adekvat skyddsnivå (art. 45)' },
    ]);
    expect(orders.hostingLocations.map((h) => h.location)).toEqual(['Sverige (eu-north-1)', 'Sverige', 'Storbritannien (eu-west-2)']);
  });
});

describe("time limits (Art. 30(1)(f)): the events' descriptions, never nested", () => {
  const descriptions = {
    invoiced: 'the invoice',
    contact: 'the latest contact with us',
    'contract-ended': 'the end of the agreement',
    'order-completed': 'the delivery of the order',
  };
  const word = (retention: RetentionInput, lang: RegisterLang, per: 'subject' | 'item' = 'subject') =>
    describeTimeLimit(toRetention(retention, 'collected'), per, { lang, eventDescriptions: descriptions });

  it.each<[string, RetentionInput, string, string]>([
    [
      'an event with a description',
      { from: 'order-completed', keep: 'P10Y' },
      '10 years after the delivery of the order',
      '10 år efter ”the delivery of the order”',
    ],
    [
      'an event without one: its id in quotes',
      { until: 'unsubscribed' },
      'Until the latest "unsubscribed" event',
      'Fram till den senaste händelsen ”unsubscribed”',
    ],
    ['collection', { keep: 'P36M' }, '36 months after collection', '36 månader efter insamlingen'],
    [
      'the built-in request-handled',
      { until: 'request-handled', keep: 'P1Y' },
      "1 year after the handling of the data subject's request",
      '1 år efter hanteringen av den registrerades begäran',
    ],
    [
      'the explicit event form',
      { from: { event: 'contact', since: 'any' }, keep: 'P2W' },
      '2 weeks after the latest contact with us',
      '2 veckor efter ”the latest contact with us”',
    ],
    [
      'add of add: summed',
      { from: { add: 'P12M', to: { add: 'P12M', to: 'contact' } }, keep: 'P0D' },
      '24 months after the latest contact with us',
      '24 månader efter ”the latest contact with us”',
    ],
    [
      'add and keep: summed, months carried into years',
      { from: { add: 'P12M', to: 'contract-ended' }, keep: 'P10Y' },
      '11 years after the end of the agreement',
      '11 år efter ”the end of the agreement”',
    ],
    [
      'add under keep, mixed units',
      { from: { add: 'P6M', to: 'contact' }, keep: 'P1Y' },
      '1 year and 6 months after the latest contact with us',
      '1 år och 6 månader efter ”the latest contact with us”',
    ],
    [
      'the Bookkeeping Act form',
      { from: { endOfYear: 'invoiced', fiscal: true }, keep: 'P7Y' },
      '7 years from the end of the calendar year in which the fiscal year of the invoice ended',
      '7 år från utgången av det kalenderår då räkenskapsåret för ”the invoice” avslutades',
    ],
    [
      'end of the calendar year',
      { from: { endOfYear: 'collected' }, keep: 'P2Y' },
      '2 years from the end of the calendar year of collection',
      '2 år från utgången av kalenderåret för insamlingen',
    ],
    [
      'end of the fiscal year',
      { from: { endOfFiscalYear: 'invoiced' }, keep: 'P3Y' },
      '3 years from the end of the fiscal year of the invoice',
      '3 år från utgången av räkenskapsåret för ”the invoice”',
    ],
    [
      'add to an end of year: one duration from the end',
      { from: { add: 'P6M', to: { endOfYear: 'invoiced' } }, keep: 'P1Y' },
      '1 year and 6 months from the end of the calendar year of the invoice',
      '1 år och 6 månader från utgången av kalenderåret för ”the invoice”',
    ],
    [
      'latestOf',
      { from: { latestOf: ['collected', 'contact'] }, keep: 'P12M' },
      '12 months after collection or the latest contact with us, whichever is later',
      '12 månader efter insamlingen eller ”the latest contact with us”, beroende på vilket som inträffar senast',
    ],
    [
      'add over latestOf',
      { from: { add: 'P12M', to: { latestOf: ['collected', 'contact'] } }, keep: 'P12M' },
      '24 months after collection or the latest contact with us, whichever is later',
      '24 månader efter insamlingen eller ”the latest contact with us”, beroende på vilket som inträffar senast',
    ],
    [
      'latestOf of adds (a shift each)',
      {
        from: {
          latestOf: [
            { add: 'P3M', to: 'collected' },
            { add: 'P12M', to: { add: 'P12M', to: 'contact' } },
          ],
        },
        keep: 'P0D',
      },
      '3 months after collection or 24 months after the latest contact with us, whichever is later',
      '3 månader efter insamlingen eller 24 månader efter ”the latest contact with us”, beroende på vilket som inträffar senast',
    ],
    [
      'keep over latestOf of adds: distributed',
      { from: { latestOf: [{ add: 'P3M', to: 'collected' }, 'contact'] }, keep: 'P1M' },
      '4 months after collection or 1 month after the latest contact with us, whichever is later',
      '4 månader efter insamlingen eller 1 månad efter ”the latest contact with us”, beroende på vilket som inträffar senast',
    ],
    [
      'earliestOf with an add',
      { from: { earliestOf: ['contract-ended', { add: 'P3M', to: 'contact' }] }, keep: 'P0D' },
      'Until the end of the agreement or 3 months after the latest contact with us, whichever is earlier',
      'Fram till ”the end of the agreement” eller 3 månader efter ”the latest contact with us”, beroende på vilket som inträffar först',
    ],
    [
      'nested latestOf: flattened',
      { from: { latestOf: ['collected', { latestOf: ['contact', 'contract-ended'] }] }, keep: 'P1Y' },
      '1 year after collection, the latest contact with us or the end of the agreement, whichever is later',
      '1 år efter insamlingen, ”the latest contact with us” eller ”the end of the agreement”, beroende på vilket som inträffar senast',
    ],
    [
      'keep over a latestOf holding an earliestOf with an add: carried into every alternative',
      { from: { latestOf: ['invoiced', { earliestOf: [{ add: 'P1M', to: 'contact' }, 'collected'] }] }, keep: 'P3M' },
      '3 months after the invoice or the earlier of the date 4 months after the latest contact with us and the date 3 months after collection, whichever is later',
      '3 månader efter ”the invoice” eller den tidigare av tidpunkten 4 månader efter ”the latest contact with us” och tidpunkten 3 månader efter insamlingen, beroende på vilket som inträffar senast',
    ],
    [
      'one shift over a latestOf holding an earliestOf',
      { from: { add: 'P1M', to: { latestOf: ['collected', { earliestOf: ['contact', 'contract-ended'] }] } }, keep: 'P0D' },
      '1 month after collection or the earlier of the latest contact with us and the end of the agreement, whichever is later',
      '1 månad efter insamlingen eller den tidigare av ”the latest contact with us” och ”the end of the agreement”, beroende på vilket som inträffar senast',
    ],
    [
      'cases',
      {
        cases: [
          { when: { occurred: 'contract-ended' }, from: 'contract-ended', keep: 'P3M' },
          { when: { not: { occurred: 'unsubscribed' } }, keep: 'P1Y' },
          { indefinite: true, justification: 'Archive' },
        ],
      },
      'If the end of the agreement has occurred: 3 months after the end of the agreement; otherwise, if no "unsubscribed" event has occurred: 1 year after collection; otherwise: indefinitely (Archive)',
      'Om ”the end of the agreement” har inträffat: 3 månader efter ”the end of the agreement”; annars, om händelsen ”unsubscribed” inte har inträffat: 1 år efter insamlingen; annars: tills vidare (Archive)',
    ],
    ['indefinite', { indefinite: true, justification: 'Public archive' }, 'Indefinitely (Public archive)', 'Tills vidare (Public archive)'],
  ])('%s', (_case, retention, en, sv) => {
    expect({ en: word(retention, 'en'), sv: word(retention, 'sv') }).toEqual({ en, sv });
  });

  it.each<[RetentionInput, string, string]>([
    [
      { from: 'order-completed', keep: 'P10Y' },
      '10 years after the delivery of the order (counted separately for each item)',
      '10 år efter ”the delivery of the order” (räknas separat för varje enskild post)',
    ],
    [{ indefinite: true, justification: 'Archive' }, 'Indefinitely (Archive)', 'Tills vidare (Archive)'],
  ])('per: item says the clock is per item, where there is a clock: %j', (retention, en, sv) => {
    expect({ en: word(retention, 'en', 'item'), sv: word(retention, 'sv', 'item') }).toEqual({ en, sv });
  });

  it.each<[string, RetentionInput, string]>([
    ['after', { from: 'order-completed', keep: 'P10Y' }, '10 years after the order is delivered and paid'],
    ['until', { until: 'order-completed' }, 'Until the order is delivered and paid'],
    [
      'inside a year end',
      { from: { endOfYear: 'order-completed', fiscal: true }, keep: 'P7Y' },
      '7 years from the end of the calendar year in which the fiscal year of the day the order is delivered and paid ended',
    ],
    [
      'among alternatives',
      { from: { latestOf: ['collected', 'order-completed'] }, keep: 'P0D' },
      'Until collection or the day the order is delivered and paid, whichever is later',
    ],
    [
      'in conditions',
      {
        cases: [
          { when: { occurred: 'order-completed' }, keep: 'P1Y' },
          { when: { not: { occurred: 'order-completed' } }, keep: 'P2Y' },
          { keep: 'P3Y' },
        ],
      },
      'If the order is delivered and paid: 1 year after collection; otherwise, if it has not yet happened that the order is delivered and paid: 2 years after collection; otherwise: 3 years after collection',
    ],
  ])('a description written as a clause (spec 2.6: "the order is delivered and paid") reads %s', (_case, retention, en) => {
    const clause = { 'order-completed': 'the order is delivered and paid' };
    expect(describeTimeLimit(toRetention(retention, 'collected'), 'subject', { lang: 'en', eventDescriptions: clause })).toBe(en);
  });

  /** Anchors of every shape, nested to depth 4, over described and undescribed events. */
  const anchor: fc.Arbitrary<AnchorInput> = fc.letrec<{ anchor: AnchorInput }>((tie) => ({
    anchor: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom<AnchorInput>('collected', 'contact', 'invoiced', 'contract-ended', 'unsubscribed', 'request-handled'),
      fc.record({ add: fc.constantFrom('P1Y', 'P12M', 'P3M', 'P2W', 'P30D', 'PT36H'), to: tie('anchor') }),
      fc.record({ latestOf: fc.array(tie('anchor'), { minLength: 1, maxLength: 3 }) }),
      fc.record({ earliestOf: fc.array(tie('anchor'), { minLength: 1, maxLength: 3 }) }),
      fc.record({ endOfYear: tie('anchor'), fiscal: fc.boolean() }),
      fc.record({ endOfFiscalYear: tie('anchor') }),
    ),
  })).anchor;
  const keep = fc.constantFrom('P0D', 'P1Y', 'P6M', 'P7Y');

  it('never nests a duration in a duration, and names described events only by their descriptions', () => {
    fc.assert(
      fc.property(anchor, keep, fc.constantFrom<RegisterLang>(...REGISTER_LANGS), (from, k, lang) => {
        const text = word({ from, keep: k }, lang);
        // "12 months after 12 months after", "1 year after the date 3 months after": a duration after a duration.
        expect(text).not.toMatch(/\b(after|from|efter|från) (the date |tidpunkten )?\d/);
        for (const id of Object.keys(descriptions)) {
          expect(text).not.toContain(`"${id}"`);
          expect(text).not.toContain(`”${id}”`);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('renderRegister csv and json', () => {
  it.each(REGISTER_LANGS)('%s csv: one row per purpose under a header, that a spreadsheet reads back', (lang) => {
    const rows: string[][] = parse(renderRegister(buildRegister(policy, HASH, { lang, date: '2026-12-04' }), 'csv'));
    expect(rows).toHaveLength(5);
    expect(rows.map((r) => r[0]).slice(1)).toEqual(['orders', 'bookkeeping', 'events', 'newsletter']);
    const header = rows[0];
    const events = Object.fromEntries(header.map((h, i) => [h, rows[3][i]]));
    const newsletter = Object.fromEntries(header.map((h, i) => [h, rows[4][i]]));
    if (lang === 'en') {
      expect(events).toMatchObject({
        'special category condition': 'Explicit consent, Art. 9(2)(a)',
        'special categories': 'health',
        retention: '24 months after the latest contact with us',
      });
      expect(newsletter).toMatchObject({
        'third-country transfers': 'mailer → United States: EU-US Data Privacy Framework',
        'hosting locations': 'United States: mailer; Sweden (eu-north-1): Lethe',
      });
    } else {
      expect(events).toMatchObject({
        'undantag enligt art. 9.2': 'Uttryckligt samtycke, art. 9.2 a',
        'känsliga personuppgifter': 'health',
        lagringstid: '24 månader efter ”the latest contact with us”',
      });
      expect(newsletter).toMatchObject({ 'överföring till tredjeland': 'mailer → USA: EU-US Data Privacy Framework' });
    }
  });

  it('json: the whole register, with the language, the date and the full hash', () => {
    const json = JSON.parse(renderRegister(buildRegister(policy, HASH, { lang: 'sv', date: '2026-12-04' }), 'json'));
    expect(json).toMatchObject({
      lang: 'sv',
      date: '2026-12-04',
      policyHash: HASH,
      timezone: 'Europe/Stockholm',
      fiscalYearEnd: '06-30',
      deploymentRegions: ['eu-north-1'],
      deploymentProcessor: 'Amazon Web Services EMEA SARL',
    });
    expect(json.controller).toEqual({
      name: 'Exempel AB',
      id: '556000-0000',
      contact: 'hej@exempel.se',
      supervisoryAuthority: 'Integritetsskyddsmyndigheten (IMY)',
      dpo: { name: 'Dana Ombud', contact: 'dso@exempel.se' },
      representative: { name: 'Rep GmbH', contact: 'rep@example.de' },
      jointControllers: [
        { name: 'Plattform Ltd', contact: 'privacy@plattform.example', responsibility: 'Collecting cookie data on our site' },
      ],
    });
    expect(json.security.controller).toEqual(['Staff are trained in data protection every year']);
    expect(json.security.deployment).toHaveLength(5);
    const events = json.activities.find((a: { purpose: string }) => a.purpose === 'events');
    expect(events).toMatchObject({
      legalBases: ['consent'],
      specialCategoryCondition: { id: 'explicit-consent', text: 'Uttryckligt samtycke, art. 9.2 a' },
      per: 'subject',
    });
  });
});
