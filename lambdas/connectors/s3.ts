/** The built-in S3 connector function: one per system (LETHE_SYSTEM, LETHE_CONNECTOR_CONFIG). See lib/connectors. */
import { createConnectorHandler } from '../../lib/connectors/handler';

export const handler = createConnectorHandler('s3');
