import { ConnectorRegistry, connectorRegistry } from '../../../lib/connectors/registry';
import { DynamoDbConnector } from '../../../lib/connectors/dynamodb';
import { S3Connector } from '../../../lib/connectors/s3';
import { HttpConnector } from '../../../lib/connectors/http';
import { LambdaFunctionConnector } from '../../../lib/connectors/lambda';
import { ConnectorPermanentError } from '../../../lib/connectors/errors';
import { CONNECTOR_CONFIGS } from '../../../lib/connectors/config';

const noSecret = { signingKey: async () => 'x' };

test('every connector type of the policy language is registered', () => {
  expect(connectorRegistry.types().sort()).toEqual(Object.keys(CONNECTOR_CONFIGS).sort());
});

test.each([
  ['dynamodb', { tableName: 't', keyAttribute: 'pk' }, DynamoDbConnector],
  ['s3', { bucket: 'b', prefix: 'u/{subjectId}/' }, S3Connector],
  ['http', { url: 'https://saas.example/erase', secretName: 's' }, HttpConnector],
  ['lambda', { functionName: 'f' }, LambdaFunctionConnector],
] as const)('%s builds its connector for the system', (type, config, expected) => {
  const connector = connectorRegistry.create(type, 'sys', config, noSecret);
  expect(connector).toBeInstanceOf(expected);
  expect(connector.type).toBe(type);
  expect(connector.system).toBe('sys');
  expect(connector.config).toEqual(config);
});

test.each([
  [
    'dynamodb',
    { tableName: 't' },
    /config of system "sys" \(connector dynamodb\) is invalid: keyAttribute: expected the partition key attribute/,
  ],
  ['s3', { bucket: 'b', prefix: 'users/{subjectId}' }, /must be followed by "\/" so that one subject's prefix never matches another's/],
  ['s3', { bucket: 'b', prefix: 'users/' }, /has no placeholder/],
  ['http', { url: 'http://saas.example/erase', secretName: 's' }, /expected an https:\/\/ URL/],
  ['lambda', { functionName: 'f', extra: 1 }, /unknown key\(s\) extra/],
])('%s with a bad config %j is a permanent error naming the problem', (type, config, message) => {
  expect(() => connectorRegistry.create(type, 'sys', config)).toThrow(ConnectorPermanentError);
  expect(() => connectorRegistry.create(type, 'sys', config)).toThrow(message);
});

test('an unknown type is a permanent error listing the known ones', () => {
  expect(() => connectorRegistry.create('ftp', 'sys', {})).toThrow(/unknown connector type "ftp"; known: dynamodb, s3, http, lambda/);
});

test('a type cannot be registered twice', () => {
  const registry = new ConnectorRegistry().register('lambda', (s, c) => new LambdaFunctionConnector(s, c));
  expect(() => registry.register('lambda', (s, c) => new LambdaFunctionConnector(s, c))).toThrow(/registered twice/);
});
