/**
 * A connector type that exists only in the test tree, to show that a type is one file (this one) and one line
 * (the registry in echo-descriptor.test.ts): `echo` keeps each subject's record in memory, in a "store" named by
 * its config, and reaches it (on AWS) through one SQS queue of that name, which is all its role may use.
 */
import { z } from 'zod';
import {
  SubjectConnector,
  type ConnectorContext,
  type ConnectorOptions,
  type Counts,
  type FieldChanges,
  type InvocationSubject,
} from '../../../lib/connectors/connector';
import { configName, defineConnectorType, type DemoSystemContext } from '../../../lib/connectors/descriptor';

export const EchoConnectorConfig = z.strictObject({
  /** The store (and queue) of the system. */
  store: configName('the store name'),
  /** Where the store is, when it is not the stack's region. */
  region: configName('a region').optional(),
  /** In local mode, the store is this one instead. */
  localStore: configName('the local store name').optional(),
});
export type EchoConnectorConfig = z.output<typeof EchoConnectorConfig>;

/** Every store's records: store → subject id → record. */
export const ECHO_STORES = new Map<string, Map<string, Record<string, unknown>>>();

const storeOf = (name: string) => {
  if (!ECHO_STORES.has(name)) ECHO_STORES.set(name, new Map());
  return ECHO_STORES.get(name)!;
};

export class EchoConnector extends SubjectConnector<EchoConnectorConfig> {
  public readonly type = 'echo';

  public constructor(system: string, config: EchoConnectorConfig, options: ConnectorOptions = {}) {
    super(system, config, options);
  }

  protected async deleteRecord(subject: InvocationSubject): Promise<Counts> {
    return { records: storeOf(this.config.store).delete(subject.subjectId) ? 1 : 0 };
  }

  protected async changeFields(subject: InvocationSubject, changes: FieldChanges, context: ConnectorContext): Promise<Counts> {
    const record = storeOf(this.config.store).get(subject.subjectId);
    if (!record) return { records: 0 };
    for (const field of changes.remove) delete record[field.name];
    for (const field of changes.anonymise) {
      const anonymised = await context.anonymise(field, record[field.name]);
      if (anonymised.remove) delete record[field.name];
      else record[field.name] = anonymised.value;
    }
    return { records: 1, fields: changes.remove.length + changes.anonymise.length };
  }
}

const demoPut = (ctx: DemoSystemContext<EchoConnectorConfig>, subject: { subjectId: string }) =>
  ctx.standIns.receiver.put(ctx.system, subject.subjectId, { store: ctx.config.store });

export const echo = defineConnectorType({
  type: 'echo',
  configSchema: EchoConnectorConfig,
  create: (system, config, options) => new EchoConnector(system, config, options),
  runtime: { kind: 'connector-function' },
  grants: (config) => [
    {
      sid: 'OwnQueueOnly',
      actions: ['sqs:SendMessage'],
      resources: [{ service: 'sqs', region: config.region, resource: config.store }],
    },
  ],
  localConfig: (config) => ({ ...config, store: config.localStore ?? config.store }),
  demo: {
    seed: async (ctx, subjects) => {
      for (const subject of subjects) demoPut(ctx, subject);
      return `the receiver, standing in for store ${ctx.config.store}`;
    },
    put: async (ctx, subject) => demoPut(ctx, subject),
    read: async (ctx, subject) => {
      const record = ctx.standIns.receiver.records(ctx.system)[subject.subjectId];
      return { where: `store ${ctx.config.store}`, records: record ? [record] : [] };
    },
  },
});
