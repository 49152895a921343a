/**
 * Test data for connector tests: invocations and subjects with recognisable personal values, so that tests
 * can check where those values go (and where they must not).
 */
import type { ConnectorField, ConnectorInvocation, ConnectorSubject } from '../../../lib/core/contract';

export const HMAC_KEY = 'connector-test-hmac-key';

export const FIELDS = {
  name: { name: 'name', category: 'identity', anonymise: { strategy: 'redact', value: '[erased]' } },
  email: { name: 'email', category: 'contact', anonymise: { strategy: 'hmac' } },
  birthDate: { name: 'birthDate', category: 'identity', anonymise: { strategy: 'generalise-date', to: 'year' } },
  ip: { name: 'ip', category: 'technical', anonymise: { strategy: 'mask-ip' } },
  phone: { name: 'phone', category: 'contact' },
} satisfies Record<string, ConnectorField>;

export function subject(overrides: Partial<ConnectorSubject> = {}): ConnectorSubject {
  return {
    subjectRef: 'ref-user1',
    subjectId: 'user1',
    locator: {},
    identifiers: {},
    record: 'delete',
    removeFields: [],
    anonymiseFields: [],
    ...overrides,
  };
}

export function invocation(subjects: readonly ConnectorSubject[], overrides: Partial<ConnectorInvocation> = {}): ConnectorInvocation {
  return {
    system: 'crm',
    purposes: ['service'],
    subjects,
    operationId: 'op-123',
    policyHash: 'sha256:abc',
    ...overrides,
  };
}

/** An error shaped like the AWS SDK's service errors. */
export function awsError(
  name: string,
  httpStatusCode: number,
  fault: 'client' | 'server' = httpStatusCode >= 500 ? 'server' : 'client',
): Error {
  return Object.assign(new Error(`${name} from the service`), { name, $fault: fault, $metadata: { httpStatusCode } });
}
