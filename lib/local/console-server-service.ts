/**
 * The DPO console (lib/console, docs/console.md) as a service of local mode: its server on 127.0.0.1, talking to this
 * local mode's API and audit bucket, and the endpoints file (`<dataDir>/endpoints.json`) through which
 * `lethe console` finds this local mode; removed at stop.
 */
import { removeLocalEndpoints, writeLocalEndpoints } from '../console/local-target';
import { type ConsoleServer, startConsoleServer } from '../console/server';
import { localTarget } from '../console/targets';
import type { LoadedPolicy } from '../policy/load';
import type { KeysService } from './data-dir-service';
import type { LocalService } from './local-mode';

export interface ConsoleServerServiceOptions {
  /** On 127.0.0.1; 0 picks a free one; false: no console server (the endpoints file is still written). */
  readonly port: number | false;
  readonly dataDir: string;
  readonly policyFile: string;
  readonly policy: LoadedPolicy;
  readonly keys: KeysService;
  /** Read at start, once the API and s3rver are up. */
  readonly apiUrl: () => string;
  readonly s3Endpoint: () => string;
  readonly auditBucket: string;
  /** DynamoDB Local's endpoint (read at start) and the audit-chain table: the proof page checks the chain's end against its head. */
  readonly dynamodbEndpoint: () => string;
  readonly auditChainTable: string;
  /** The console server's own lines (method, route template, status, ms). */
  readonly log: (line: string) => void;
}

export class ConsoleServerService implements LocalService {
  public readonly name = 'console server';
  private server: ConsoleServer | undefined;

  public constructor(private readonly options: ConsoleServerServiceOptions) {}

  public async start(): Promise<void> {
    const { port, dataDir, policyFile, policy, keys, auditBucket, auditChainTable, log } = this.options;
    const apiUrl = this.options.apiUrl();
    const s3Endpoint = this.options.s3Endpoint();
    const dynamodbEndpoint = this.options.dynamodbEndpoint();
    if (port !== false) {
      const target = localTarget({ apiUrl, token: () => keys.token, s3Endpoint, auditBucket, dynamodbEndpoint, auditChainTable });
      this.server = await startConsoleServer({
        port,
        api: target.api,
        policy,
        audit: target.audit!,
        ...(target.auditHead ? { auditHead: target.auditHead } : {}),
        log: (line) => log(`  [console] ${line}`),
      });
    }
    writeLocalEndpoints(dataDir, { apiUrl, s3Endpoint, auditBucket, policyFile, dynamodbEndpoint, auditChainTable });
  }

  /** The console's address; undefined when it was not started. */
  public get url(): string | undefined {
    return this.server?.url;
  }

  public async stop(): Promise<void> {
    removeLocalEndpoints(this.options.dataDir);
    await this.server?.close();
    this.server = undefined;
  }
}
