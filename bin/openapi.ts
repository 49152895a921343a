/**
 * `npm run openapi`: writes docs/openapi.json, the erasure API's OpenAPI 3.1 document, from the route table and the
 * zod schemas (lib/runtime/openapi.ts). test/lib/runtime/openapi.test.ts fails until the file is what this writes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { OPENAPI_FILE, openApiText } from '../lib/runtime/openapi';

const ROOT = path.join(__dirname, '..');
const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
writeFileSync(path.join(ROOT, OPENAPI_FILE), openApiText(version));
process.stdout.write(`wrote ${OPENAPI_FILE} (version ${version})\n`);
