/** lib/stack/errors.ts */
import { RegionNotAllowedError, StackConfigError } from '../../../lib/stack/errors';
import { describeErrors } from '../../helpers/errors';

describeErrors('lib/stack/errors.ts', [
  {
    type: RegionNotAllowedError,
    name: 'RegionNotAllowedError',
    make: (cause) => new RegionNotAllowedError('us-east-1', ['eu-north-1', 'eu-west-1'], 'policy.yaml', { cause }),
    message:
      'region "us-east-1" is not allowed by policy.yaml: deployment.regions allows eu-north-1, eu-west-1. ' +
      'Deploy to one of them (npx cdk synth -c region=eu-north-1) or change deployment.regions in the policy.',
  },
  {
    type: StackConfigError,
    name: 'StackConfigError',
    make: (cause) => new StackConfigError('memorySize must be at least 128', { cause }),
    message: 'memorySize must be at least 128',
  },
]);

it('RegionNotAllowedError names the region and the allowed ones as fields', () => {
  expect(new RegionNotAllowedError('us-east-1', ['eu-north-1'], 'p.yaml')).toMatchObject({ region: 'us-east-1', allowed: ['eu-north-1'] });
});
