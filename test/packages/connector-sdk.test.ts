/**
 * @lethe/connector-sdk as a user gets it: built (packages/connector-sdk/build.js) into a temporary copy of the package,
 * packed with `npm pack`, installed offline into a scratch project, and used there exactly as docs/connectors.md and the
 * package's README show: their examples are copied into the scratch project, type-checked with this repository's tsc
 * against the package's declarations only, compiled and run with node.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const PACKAGE_DIR = path.join(ROOT, 'packages', 'connector-sdk');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const NAME = '@lethe/connector-sdk';

/** The environment without npm's own variables: `npm test` sets npm_config_* that would point npm at this repository. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
}

function run(command: string, args: readonly string[], cwd: string): string {
  return execFileSync(command, args, { cwd, env: cleanEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The first ```ts block after `heading` in a markdown file. */
function exampleAfter(file: string, heading: string): string {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const at = text.indexOf(heading);
  if (at < 0) throw new Error(`${file} has no "${heading}"`);
  const block = /```ts\n([\s\S]*?)```/.exec(text.slice(at));
  if (!block) throw new Error(`${file} has no ts example after "${heading}"`);
  return block[1];
}

/** The scratch project's stand-in for the user's own CRM client the examples import. */
const CRM_CLIENT = `
export type Contact = Record<string, unknown>;
export const contacts = new Map<string, Contact>();
export class CrmBusyError extends Error {}
export const crm = {
  async deleteContact(id: string): Promise<boolean> {
    return contacts.delete(id);
  },
  async clearFields(id: string, names: readonly string[]): Promise<number> {
    const contact = contacts.get(id);
    if (!contact) return 0;
    const present = names.filter((name) => name in contact);
    for (const name of present) delete contact[name];
    return present.length;
  },
  async getContact(id: string): Promise<Contact | undefined> {
    return contacts.get(id);
  },
  async updateContact(id: string, changes: Record<string, unknown>): Promise<void> {
    const contact = contacts.get(id);
    if (!contact) return;
    for (const [name, value] of Object.entries(changes)) {
      if (value === null) delete contact[name];
      else contact[name] = value;
    }
  },
};
`;

/** A connector whose answer breaks the contract (a negative count): the SDK must refuse it. */
const BROKEN_CONNECTOR = `
import { defineConnector } from '${NAME}';
export const handler = defineConnector({
  async deleteRecord() {
    return { records: -1 };
  },
});
`;

/** Type errors the declarations must catch: they are real types, not \`any\`. */
const WRONG_CONNECTOR = `
import { defineConnector } from '${NAME}';
export const missing = defineConnector({});
export const wrongCount = defineConnector({
  async deleteRecord() {
    return { records: 'one' };
  },
});
`;

/**
 * Runs the compiled connectors on sample invocations (plain JavaScript: the test's side, not the user's) and prints
 * what each answered or threw, and the contacts after each step.
 */
const DRIVER = `
const sdk = require('${NAME}');
const { contacts } = require('./out/crm-client');
const docs = require('./out/docs-connector');
const readme = require('./out/readme-connector');
const broken = require('./out/broken-connector');

const base = { system: 'crm', purposes: ['marketing'], operationId: 'req-1:crm', policyHash: 'sha256:0f' };
const subject = (ref, id, record, removeFields = [], anonymiseFields = []) => ({
  subjectRef: ref, subjectId: 'user-' + id, locator: { contactId: id }, identifiers: {}, record, removeFields, anonymiseFields,
});
const invocation = (...subjects) => ({ ...base, subjects });
const snapshot = () => Object.fromEntries([...contacts].map(([id, c]) => [id, { ...c }]));
async function answer(handler, event) {
  try {
    return { result: await handler(event) };
  } catch (error) {
    return { error: { name: error.name, message: error.message, permanent: error instanceof sdk.ConnectorPermanentError } };
  }
}

(async () => {
  const steps = {};
  for (const [name, connector] of [['docs', docs], ['readme', readme]]) {
    contacts.clear();
    contacts.set('C-1', { name: 'Ada', phone: '+441234', email: 'ada@example.com', city: 'London' });
    contacts.set('C-2', { name: 'Alan', phone: '+445678', email: 'alan@example.com' });
    contacts.set('C-20', { name: 'Grace', email: 'grace@example.com' });
    const keep = subject('ref-1', 'C-1', 'keep', [{ name: 'phone', category: 'contact' }],
      [{ name: 'email', category: 'contact', anonymise: { strategy: 'redact' } }]);
    steps[name] = {
      keep: await answer(connector.handler, invocation(keep)),
      afterKeep: snapshot(),
      erase: await answer(connector.handler, invocation(subject('ref-2', 'C-2', 'delete'))),
      afterErase: snapshot(),
      eraseAgain: await answer(connector.handler, invocation(subject('ref-2', 'C-2', 'delete'))),
      badInvocation: await answer(connector.handler, invocation({ ...subject('ref-3', 'C-20', 'delete'), record: 'shred' })),
      twice: await answer(connector.handler, invocation(subject('ref-3', 'C-20', 'delete'), subject('ref-3', 'C-20', 'delete'))),
      afterRefused: snapshot(),
    };
    contacts.set('C-3', { name: 'Edsger', email: 'edsger@example.com', plan: 'pro' });
    const anonymise = subject('ref-4', 'C-3', 'anonymise', [{ name: 'name', category: 'identity' }],
      [{ name: 'email', category: 'contact', anonymise: { strategy: 'redact' } }]);
    steps[name].anonymise = await answer(connector.handler, invocation(anonymise));
    steps[name].afterAnonymise = contacts.get('C-3');
  }
  contacts.set('C-9', { name: 'Kept' });
  steps.broken = await answer(broken.handler, invocation(subject('ref-9', 'C-9', 'delete')));
  process.stdout.write('RESULT ' + JSON.stringify(steps) + '\\n');
})();
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'commonjs',
    moduleResolution: 'node',
    lib: ['ES2022'],
    // Nothing but the package's own declarations: no @types/node, no skipLibCheck.
    types: [],
    strict: true,
    outDir: 'out',
  },
};

describe('@lethe/connector-sdk, packed and installed in a project of its own', () => {
  let work: string;
  let app: string;
  let packed: { filename: string; files: { path: string }[] };
  let compiled: { status: number | null; output: string };

  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'lethe-sdk-package-'));
    const pkg = path.join(work, 'package');
    app = path.join(work, 'app');
    mkdirSync(pkg);
    mkdirSync(app);
    // The package's checked-in files, built in a copy: the repository's own packages/connector-sdk/dist is left alone.
    for (const file of ['package.json', 'README.md']) copyFileSync(path.join(PACKAGE_DIR, file), path.join(pkg, file));
    run(process.execPath, [path.join(PACKAGE_DIR, 'build.js'), pkg], ROOT);
    [packed] = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], pkg));

    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'scratch-connector', version: '1.0.0', private: true }));
    run('npm', ['install', '--offline', '--no-audit', '--no-fund', path.join(work, packed.filename)], app);
    writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify(TSCONFIG));
    writeFileSync(path.join(app, 'crm-client.ts'), CRM_CLIENT);
    writeFileSync(path.join(app, 'docs-connector.ts'), exampleAfter('docs/connectors.md', '## Writing your own connector'));
    writeFileSync(path.join(app, 'readme-connector.ts'), exampleAfter('packages/connector-sdk/README.md', '## Example'));
    writeFileSync(path.join(app, 'broken-connector.ts'), BROKEN_CONNECTOR);
    writeFileSync(path.join(app, 'run.js'), DRIVER);
    // The scratch project checked and compiled with this repository's tsc (out/, which run.js runs).
    const tsc = spawnSync(process.execPath, [TSC, '-p', '.'], { cwd: app, env: cleanEnv(), encoding: 'utf8' });
    compiled = { status: tsc.status, output: tsc.stdout + tsc.stderr };
  }, 300_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('the tarball holds the bundle, its declarations, the README and package.json, and declares no dependencies', () => {
    // GIVEN the packed tarball
    const manifest = JSON.parse(readFileSync(path.join(app, 'node_modules', '@lethe', 'connector-sdk', 'package.json'), 'utf8'));

    // THEN exactly these files, and nothing to fetch at install
    expect(packed.files.map((f) => f.path).sort()).toEqual(['README.md', 'dist/index.d.ts', 'dist/index.js', 'package.json']);
    expect(packed.filename).toBe('lethe-connector-sdk-0.1.0.tgz');
    expect(manifest).toMatchObject({
      name: NAME,
      version: '0.1.0',
      license: 'Apache-2.0',
      main: './dist/index.js',
      types: './dist/index.d.ts',
    });
    expect(manifest.dependencies).toBeUndefined();
    expect(readFileSync(path.join(app, 'node_modules', '@lethe', 'connector-sdk', 'dist', 'index.d.ts'), 'utf8')).not.toMatch(
      /^\s*import\b|^\/\/\/ <reference/m,
    );
  }, 60_000);

  test("the docs' and the README's examples type-check against the declarations, and wrong handlers do not", () => {
    // GIVEN the scratch project checked and compiled with this repository's tsc (beforeAll)
    // THEN it compiles
    expect(compiled).toEqual({ status: 0, output: '' });

    // AND a connector without deleteRecord, or with a count that is not a number, is a type error
    writeFileSync(path.join(app, 'wrong-connector.ts'), WRONG_CONNECTOR);
    try {
      const wrong = spawnSync(process.execPath, [TSC, '--noEmit', '-p', '.'], { cwd: app, env: cleanEnv(), encoding: 'utf8' });
      expect(wrong.status).not.toBe(0);
      expect(wrong.stdout).toMatch(/wrong-connector\.ts\(3,\d+\): error TS2345: .*\n\s+Property 'deleteRecord' is missing/);
      expect(wrong.stdout).toMatch(/wrong-connector\.ts\(5,\d+\): error TS2322: [\s\S]*Type 'string' is not assignable to type 'number'/);
    } finally {
      rmSync(path.join(app, 'wrong-connector.ts'));
    }
  }, 60_000);

  test('the compiled connectors answer sample invocations by the contract and refuse what breaks it', () => {
    // WHEN the compiled examples run on sample invocations
    const output = run(process.execPath, ['run.js'], app);
    const line = output.split('\n').find((l) => l.startsWith('RESULT '));
    expect(line).toBeDefined();
    const steps = JSON.parse(line!.slice('RESULT '.length));

    for (const example of ['docs', 'readme']) {
      const s = steps[example];
      // THEN a kept record loses its phone and has its email redacted; the other contacts are untouched
      expect(s.keep).toEqual({
        result: {
          system: 'crm',
          subjects: [
            { subjectRef: 'ref-1', status: 'fields-removed', counts: { records: 1, fields: 2, objects: 0 }, verification: 'unverified' },
          ],
        },
      });
      expect(s.afterKeep).toEqual({
        'C-1': { name: 'Ada', email: '[redacted]', city: 'London' },
        'C-2': { name: 'Alan', phone: '+445678', email: 'alan@example.com' },
        'C-20': { name: 'Grace', email: 'grace@example.com' },
      });
      // AND an erased contact is gone, C-20 (whose id starts like C-2's) is not; a second run finds nothing
      expect(s.erase).toEqual({
        result: {
          system: 'crm',
          subjects: [{ subjectRef: 'ref-2', status: 'erased', counts: { records: 1, fields: 0, objects: 0 }, verification: 'unverified' }],
        },
      });
      expect(Object.keys(s.afterErase).sort()).toEqual(['C-1', 'C-20']);
      expect(s.eraseAgain).toEqual({
        result: {
          system: 'crm',
          subjects: [
            { subjectRef: 'ref-2', status: 'nothing-found', counts: { records: 0, fields: 0, objects: 0 }, verification: 'unverified' },
          ],
        },
      });
      // AND an invocation that breaks the contract is refused, naming the path, and nothing is done
      expect(s.badInvocation.error).toMatchObject({ name: 'ConnectorPermanentError', permanent: true });
      expect(s.badInvocation.error.message).toMatch(
        /^connector invocation is invalid: subjects\[0\]\.record: expected record: delete \| anonymise \| keep/,
      );
      expect(s.twice.error).toMatchObject({ name: 'ConnectorPermanentError', permanent: true });
      expect(s.twice.error.message).toMatch(/subjects\[1\]\.subjectRef: the same subject appears twice in one invocation/);
      expect(s.afterRefused).toEqual(s.afterErase);
      // AND an anonymised record keeps what is not personal: its name removed, its email redacted
      expect(s.anonymise).toEqual({
        result: {
          system: 'crm',
          subjects: [
            { subjectRef: 'ref-4', status: 'anonymised', counts: { records: 1, fields: 2, objects: 0 }, verification: 'unverified' },
          ],
        },
      });
      expect(s.afterAnonymise).toEqual({ email: '[redacted]', plan: 'pro' });
    }

    // AND a connector whose answer breaks the contract (a negative count) is refused: no outcome is reported
    expect(steps.broken.error).toMatchObject({ name: 'ConnectorPermanentError', permanent: true });
    expect(steps.broken.error.message).toMatch(
      /counts reported for subject ref-9 is invalid: records: expected counts\.records: a whole number >= 0/,
    );
  }, 60_000);

  test('an ES module imports it too', () => {
    // WHEN a module of the scratch project imports the package by name
    const output = run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { defineConnector, ConnectorTransientError } from '${NAME}'; console.log(typeof defineConnector, typeof ConnectorTransientError);`,
      ],
      app,
    );

    // THEN the named exports are there
    expect(output.trim()).toBe('function function');
  }, 60_000);
});
