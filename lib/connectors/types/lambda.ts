/** The lambda connector type: the controller's own function (written with the connector SDK), which Lethe invokes. */
import { z } from 'zod';
import type { LambdaFunctionConnector } from '../lambda';
import { configName, defineConnectorType, type DemoSubject, type DemoSystemContext } from '../descriptor';

export const LambdaConnectorConfig = z.strictObject({
  /** The user's own connector function: a name or an ARN. */
  functionName: configName('the function name or ARN'),
  /**
   * The function verifies its erasures (the SDK's `verifyRecord`) and answers `verification` with each outcome. Only
   * a declaration, for `lethe validate --deploy`: what the function answers is what is recorded. @default false
   */
  verify: z.boolean({ error: 'expected verify: true or false' }).optional(),
});
export type LambdaConnectorConfig = z.output<typeof LambdaConnectorConfig>;

/** The demo function's table (local mode's stand-in for the controller's function): its function name, the last part of an ARN. */
export function demoFunctionTable(functionName: string): string {
  const arn = /:function:([^:]+)/.exec(functionName);
  return arn ? arn[1] : functionName;
}

const putDemoItem = (ctx: DemoSystemContext<LambdaConnectorConfig>, subject: DemoSubject) =>
  ctx.standIns.putItem(demoFunctionTable(ctx.config.functionName), {
    ...ctx.standIns.record(subject),
    [ctx.standIns.demoFunctionKey]: subject.subjectId,
  });

export const lambda = defineConnectorType({
  type: 'lambda',
  configSchema: LambdaConnectorConfig,
  create: (system, config, options) => {
    // Loaded here, not at the top: the policy validator reads this file and needs no SDK.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { LambdaFunctionConnector: Class } = require('../lambda') as { LambdaFunctionConnector: typeof LambdaFunctionConnector };
    return new Class(system, config, options);
  },
  runtime: { kind: 'own-function', functionName: (config) => config.functionName },
  verifies: (config) => config.verify === true,
  demo: {
    seed: async (ctx, subjects) => {
      const table = demoFunctionTable(ctx.config.functionName);
      await ctx.standIns.createTable({ table, key: ctx.standIns.demoFunctionKey });
      for (const subject of subjects) await putDemoItem(ctx, subject);
      return `demo function ${table} (connector SDK) over DynamoDB Local table ${table}`;
    },
    put: putDemoItem,
    read: async (ctx, subject) => {
      const table = demoFunctionTable(ctx.config.functionName);
      const item = await ctx.standIns.getItem(table, { [ctx.standIns.demoFunctionKey]: subject.subjectId });
      return { where: `the demo function's table ${table}`, records: item ? [item] : [] };
    },
  },
});
