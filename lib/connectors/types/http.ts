/** The http connector type: the SaaS's erasure webhook, called with a signed request (lib/connectors/webhook.ts). */
import { z } from 'zod';
import type { HttpConnector } from '../http';
import { configName, defineConnectorType } from '../descriptor';

export const HttpConnectorConfig = z.strictObject({
  /** The SaaS's erasure webhook; must be https (http is allowed only for loopback, in local mode). */
  url: z
    .url({ error: 'expected the webhook URL' })
    .refine((u) => u.startsWith('https://') || /^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?\//.test(u), {
      error: 'expected an https:// URL (http:// only for 127.0.0.1 in local mode)',
    }),
  /** Secrets Manager secret holding the HMAC signing key for the webhook. */
  secretName: configName('the Secrets Manager secret name'),
  /** Per-call timeout. @default 10 */
  timeoutSeconds: z.number().int().min(1).max(60).optional(),
  /** Reserved concurrency of the connector, to protect the SaaS's rate limits. @default 5 */
  maxConcurrency: z.number().int().min(1).max(100).optional(),
  /**
   * The webhook answers the verify operation (lib/connectors/webhook.ts): after each erasure Lethe asks it what of the
   * subject is still there. @default false: erasures in the system are recorded `unverified`
   */
  verify: z.boolean({ error: 'expected verify: true or false' }).optional(),
});
export type HttpConnectorConfig = z.output<typeof HttpConnectorConfig>;

export const http = defineConnectorType({
  type: 'http',
  configSchema: HttpConnectorConfig,
  create: (system, config, options) => {
    // Loaded here, not at the top: the policy validator reads this file.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { HttpConnector: Class } = require('../http') as { HttpConnector: typeof HttpConnector };
    return new Class(system, config, options);
  },
  runtime: {
    kind: 'connector-function',
    entry: 'connectors/http.ts',
    reservedConcurrency: (config, defaultLimit) => config.maxConcurrency ?? defaultLimit,
  },
  grants: (config) => [
    {
      sid: 'OwnWebhookSecretOnly',
      actions: ['secretsmanager:GetSecretValue'],
      resources: [
        config.secretName.startsWith('arn:')
          ? config.secretName
          : // Secrets Manager appends six random characters to a secret's ARN.
            { service: 'secretsmanager', resource: 'secret', resourceName: `${config.secretName}-??????`, colonResourceName: true },
      ],
    },
  ],
  // In local mode the webhook is the local receiver's, which checks the signatures with the system's secret and
  // answers the verify operation (lib/local/receiver.ts).
  localConfig: (config, local) => ({ ...config, url: local.webhookUrl, verify: true }),
  verifies: (config) => config.verify === true,
  webhookSecret: (config) => config.secretName,
  demo: {
    seed: async (ctx, subjects) => {
      for (const subject of subjects) ctx.standIns.receiver.put(ctx.system, subject.subjectId, ctx.standIns.record(subject));
      return `local receiver ${ctx.standIns.receiver.urlOf(ctx.system)}`;
    },
    put: async (ctx, subject) => ctx.standIns.receiver.put(ctx.system, subject.subjectId, ctx.standIns.record(subject)),
    read: async (ctx, subject) => {
      const record = ctx.standIns.receiver.records(ctx.system)[subject.subjectId];
      return { where: `the local receiver (the SaaS behind ${ctx.system})`, records: record ? [record] : [] };
    },
  },
});
