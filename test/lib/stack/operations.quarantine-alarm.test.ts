/**
 * A quarantined holding is alarmed, never silently left (issue 15, item 8): sweep-apply publishes
 * HoldingsQuarantined (lambdas/sweep-apply.ts) and the stack alarms on it, to the alarms topic.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { ENV, METRICS } from '../../../lib/core/contract';
import { functionOfService, resourcesOfType, synthLethe } from './synth';

const { json, template } = synthLethe();

test('an alarm watches HoldingsQuarantined of sweep-apply, from the first one, and notifies the alarms topic', () => {
  const [[topicId]] = resourcesOfType(json, 'AWS::SNS::Topic');
  template.hasResourceProperties('AWS::CloudWatch::Alarm', {
    Namespace: METRICS.namespace,
    MetricName: METRICS.holdingsQuarantined,
    Dimensions: [{ Name: 'service', Value: 'lethe-sweep-apply' }],
    Statistic: 'Sum',
    Threshold: 1,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    TreatMissingData: 'notBreaching',
    AlarmActions: [{ Ref: topicId }],
    AlarmDescription: Match.stringLikeRegexp('quarantined'),
  });
});

test('sweep-apply is told after how many failed sweeps to quarantine: 3 by default, or as the stack is configured', () => {
  const quarantineAfter = (template: typeof json) =>
    template.Resources[functionOfService(template, 'lethe-sweep-apply')].Properties!.Environment.Variables[ENV.quarantineAfterFailedSweeps];
  expect(quarantineAfter(json)).toBe('3');
  const configured = synthLethe({ nag: false, stackProps: { quarantineAfterFailedSweeps: 5 } });
  expect(quarantineAfter(configured.json)).toBe('5');
  expect(() => synthLethe({ nag: false, stackProps: { quarantineAfterFailedSweeps: 0 } })).toThrow(
    /quarantineAfterFailedSweeps must be an integer from 1 to 365; got 0/,
  );
});
