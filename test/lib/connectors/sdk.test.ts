import { createHmac } from 'node:crypto';
import { ConnectorPermanentError, ConnectorTransientError, defineConnector, type ConnectorHandlers } from '../../../lib/connectors/sdk';
import { FIELDS, HMAC_KEY, invocation, subject } from './fixtures';

/** A toy store: customer id → record. */
function store() {
  const rows = new Map<string, Record<string, unknown>>([
    ['user1', { name: 'Ada Lovelace', email: 'ada@example.com', phone: '+46701234567' }],
    ['user10', { name: 'Alan Turing', email: 'alan@example.com' }],
  ]);
  const handlers: ConnectorHandlers = {
    async deleteRecord(s) {
      return { records: rows.delete(s.locator.customerId ?? s.subjectId) ? 1 : 0 };
    },
    async removeFields(s, fields) {
      const row = rows.get(s.locator.customerId ?? s.subjectId);
      const present = fields.filter((f) => row && f.name in row);
      for (const f of present) delete row?.[f.name];
      return { records: present.length > 0 ? 1 : 0, fields: present.length };
    },
    async anonymiseFields(s, fields, ctx) {
      const row = rows.get(s.locator.customerId ?? s.subjectId);
      let changed = 0;
      for (const f of fields) {
        if (!row || !(f.name in row)) continue;
        const result = await ctx.anonymise(f, row[f.name]);
        if (result.remove) delete row[f.name];
        else if (result.value !== row[f.name]) row[f.name] = result.value;
        else continue;
        changed++;
      }
      return { records: changed > 0 ? 1 : 0, fields: changed };
    },
  };
  return { rows, handlers };
}

test('a connector in a few lines: delete, statuses, and a second run that finds nothing', async () => {
  const { rows, handlers } = store();
  const handler = defineConnector(handlers, { hmacKey: async () => HMAC_KEY });
  const first = await handler(invocation([subject(), subject({ subjectRef: 'ref-x', subjectId: 'nobody' })]));
  expect(first).toEqual({
    system: 'crm',
    subjects: [
      // (no verifyRecord: unverified; with one, below)
      { subjectRef: 'ref-user1', status: 'erased', counts: { records: 1, fields: 0, objects: 0 }, verification: 'unverified' },
      { subjectRef: 'ref-x', status: 'nothing-found', counts: { records: 0, fields: 0, objects: 0 }, verification: 'unverified' },
    ],
  });
  expect([...rows.keys()]).toEqual(['user10']);
  expect((await handler(invocation([subject()]))).subjects[0].status).toBe('nothing-found');
});

test('keep with fields: remove and anonymise (with the HMAC key), counts combined', async () => {
  const { rows, handlers } = store();
  const handler = defineConnector(handlers, { hmacKey: async () => HMAC_KEY });
  const result = await handler(
    invocation([subject({ record: 'keep', removeFields: [FIELDS.phone], anonymiseFields: [FIELDS.email, FIELDS.name] })]),
  );
  expect(result.subjects[0]).toEqual({
    subjectRef: 'ref-user1',
    status: 'fields-removed',
    counts: { records: 1, fields: 3, objects: 0 },
    verification: 'unverified',
  });
  expect(rows.get('user1')).toEqual({ name: '[erased]', email: createHmac('sha256', HMAC_KEY).update('ada@example.com').digest('hex') });
  expect(rows.get('user10')).toEqual({ name: 'Alan Turing', email: 'alan@example.com' });
});

test('anonymise the record: by default removeFields then anonymiseFields → anonymised', async () => {
  const { handlers } = store();
  const result = await defineConnector(handlers)(
    invocation([subject({ record: 'anonymise', removeFields: [FIELDS.phone, FIELDS.email], anonymiseFields: [FIELDS.name] })]),
  );
  expect(result.subjects[0]).toEqual({
    subjectRef: 'ref-user1',
    status: 'anonymised',
    counts: { records: 1, fields: 3, objects: 0 },
    verification: 'unverified',
  });
});

describe('verifyRecord (issue 19): asked after the action, in the same invocation', () => {
  /** The toy store's verifyRecord: what is left of the subject's row (a delete: the row; a field action: its fields). */
  const withVerify = (rows: Map<string, Record<string, unknown>>, handlers: ConnectorHandlers): ConnectorHandlers => ({
    ...handlers,
    async verifyRecord(s, context) {
      const row = rows.get(s.locator.customerId ?? s.subjectId);
      if (!row) return {};
      if (s.record === 'delete') return { records: 1 };
      let fields = s.removeFields.filter((f) => f.name in row).length;
      for (const f of s.anonymiseFields) {
        if (!(f.name in row)) continue;
        const again = await context.anonymise(f, row[f.name]);
        if (again.remove || again.value !== row[f.name]) fields++;
      }
      return { records: fields > 0 ? 1 : 0, fields };
    },
  });

  test('an honest delete: verified; user10’s row, still there, is not counted for user1', async () => {
    const { rows, handlers } = store();
    const result = await defineConnector(withVerify(rows, handlers))(invocation([subject()]));
    expect(result.subjects).toEqual([
      { subjectRef: 'ref-user1', status: 'erased', counts: { records: 1, fields: 0, objects: 0 }, verification: 'verified' },
    ]);
    expect(rows.has('user10')).toBe(true);
  });

  test('a handler that reports success and deletes nothing: the subject fails with ConnectorVerificationError', async () => {
    const { rows, handlers } = store();
    const lying: ConnectorHandlers = { ...handlers, deleteRecord: async () => ({ records: 1 }) };
    const result = await defineConnector(withVerify(rows, lying))(invocation([subject()]));
    expect(result).toEqual({
      system: 'crm',
      subjects: [],
      failed: [{ subjectRef: 'ref-user1', error: 'ConnectorVerificationError', transient: false }],
    });
  });

  test('fields anonymised with the HMAC key: verified (each value is its strategy’s own output)', async () => {
    const { rows, handlers } = store();
    const result = await defineConnector(withVerify(rows, handlers), { hmacKey: async () => HMAC_KEY })(
      invocation([subject({ record: 'keep', removeFields: [FIELDS.phone], anonymiseFields: [FIELDS.email, FIELDS.name] })]),
    );
    expect(result.subjects[0].verification).toBe('verified');
  });
});

test('keep without any field to change does not call the connector at all', async () => {
  const deleteRecord = jest.fn();
  const result = await defineConnector({ deleteRecord })(invocation([subject({ record: 'keep' })]));
  expect(result.subjects[0].status).toBe('nothing-found');
  expect(deleteRecord).not.toHaveBeenCalled();
});

test('an invocation that breaks the contract is a permanent error before any handler runs', async () => {
  const deleteRecord = jest.fn();
  const handler = defineConnector({ deleteRecord });
  await expect(handler({ system: 'crm', subjects: [{ subjectRef: 'r' }] })).rejects.toThrow(ConnectorPermanentError);
  await expect(handler(null)).rejects.toThrow(/connector invocation is invalid/);
  await expect(handler(invocation([subject(), subject()]))).rejects.toThrow(/subjects\[1\]\.subjectRef: the same subject appears twice/);
  await expect(
    handler(invocation([subject({ anonymiseFields: [{ name: 'x', category: 'c', anonymise: { strategy: 'shred' } }] })])),
  ).rejects.toThrow(/subjects\[0\]\.anonymiseFields\[0\]\.anonymise\.strategy|expected strategy/);
  expect(deleteRecord).not.toHaveBeenCalled();
});

test('a handler the invocation needs but the connector lacks is a permanent error', async () => {
  const handler = defineConnector({ deleteRecord: async () => ({ records: 1 }) });
  await expect(handler(invocation([subject({ record: 'keep', removeFields: [FIELDS.phone] })]))).rejects.toThrow(
    /does not implement removeFields, and the invocation asks for it/,
  );
});

test('counts must be counts: a missing or negative count is refused, not reported as nothing-found', async () => {
  await expect(defineConnector({ deleteRecord: async () => ({ records: -1 }) })(invocation([subject()]))).rejects.toThrow(
    /counts reported for subject ref-user1 is invalid: records/,
  );
  await expect(defineConnector({ deleteRecord: async () => ({ records: 1.5 }) })(invocation([subject()]))).rejects.toThrow(
    ConnectorPermanentError,
  );
});

test.each([
  ['a ConnectorTransientError passes through', new ConnectorTransientError('db busy'), ConnectorTransientError, 'db busy'],
  [
    'an AWS throttling error is transient',
    Object.assign(new Error('x'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }),
    ConnectorTransientError,
    undefined,
  ],
  ['any other error is permanent, its message not repeated', new Error('user1 has no row'), ConnectorPermanentError, undefined],
] as const)('%s', async (_name, thrown, expected, message) => {
  const error = await defineConnector({
    deleteRecord: async () => {
      throw thrown;
    },
  })(invocation([subject()])).catch((e: Error) => e);
  expect(error).toBeInstanceOf(expected);
  if (message) expect((error as Error).message).toBe(message);
  else expect((error as Error).message).not.toContain('user1');
});

test('hmac without a key is a permanent error', async () => {
  const saved = process.env.LETHE_HMAC_SECRET;
  delete process.env.LETHE_HMAC_SECRET;
  try {
    const { handlers } = store();
    await expect(defineConnector(handlers)(invocation([subject({ record: 'keep', anonymiseFields: [FIELDS.email] })]))).rejects.toThrow(
      /no HMAC key is configured/,
    );
  } finally {
    if (saved !== undefined) process.env.LETHE_HMAC_SECRET = saved;
  }
});

test('an item record: the handler sees subject.ref and deletes that item only (O-1, never O-10 or the main record)', async () => {
  // GIVEN a store of user1's main record and two orders, keyed by customer and order
  const rows = new Map<string, string>([
    ['user1', 'main'],
    ['user1/O-1', 'order 1'],
    ['user1/O-10', 'order 10'],
  ]);
  const seen: (string | undefined)[] = [];
  const handler = defineConnector({
    async deleteRecord(s) {
      seen.push(s.ref);
      const key = s.ref === undefined ? s.subjectId : `${s.subjectId}/${s.ref}`;
      return { records: rows.delete(key) ? 1 : 0 };
    },
  });
  // WHEN it is invoked for item O-1
  const result = await handler(invocation([subject({ ref: 'O-1', locator: { orderId: 'O-1' } })]));
  // THEN only O-1 is gone
  expect(seen).toEqual(['O-1']);
  expect(result.subjects[0].status).toBe('erased');
  expect([...rows.keys()]).toEqual(['user1', 'user1/O-10']);
});

test('defineConnector needs deleteRecord', () => {
  expect(() => defineConnector({} as ConnectorHandlers)).toThrow(/deleteRecord/);
});

describe('record actions restrict and unrestrict (issue 14)', () => {
  const restriction = { requestId: 'req-1' };

  test('without restrictRecord, a restrict fails with a permanent error naming it', async () => {
    const { handlers } = store();
    await expect(defineConnector(handlers)(invocation([subject({ record: 'restrict', restriction })]))).rejects.toThrow(
      /does not implement restrictRecord/,
    );
  });

  test('with restrictRecord/unrestrictRecord: called with the restriction, answered restricted/unrestricted', async () => {
    const marks = new Map<string, string>();
    const { handlers } = store();
    const handler = defineConnector({
      ...handlers,
      async restrictRecord(s, r) {
        marks.set(s.subjectId, r.requestId);
        return { records: 1 };
      },
      async unrestrictRecord(s, r) {
        const had = marks.get(s.subjectId) === r.requestId;
        if (had) marks.delete(s.subjectId);
        return { records: had ? 1 : 0 };
      },
    });
    expect((await handler(invocation([subject({ record: 'restrict', restriction })]))).subjects[0]).toEqual({
      subjectRef: 'ref-user1',
      status: 'restricted',
      counts: { records: 1, fields: 0, objects: 0 },
    });
    expect(marks.get('user1')).toBe('req-1');
    expect((await handler(invocation([subject({ record: 'unrestrict', restriction })]))).subjects[0].status).toBe('unrestricted');
    expect(marks.size).toBe(0);
  });
});
