/**
 * The local API gateway as a service (local-mode.ts): started before the emulators, so that a port in use fails
 * fast, before Java starts; the requests it receives wait until `open()`, when everything behind it is up.
 */
import { type LocalApi, startLocalApi } from './api-gateway';
import type { KeysService } from './data-dir-service';
import type { FunctionsService } from './function-services';
import { runtimeFunctionName } from './function-specs';
import { type LocalService, started } from './local-mode';
import type { UsageMeter } from './meter';

export interface ApiGatewayServiceOptions {
  /** On 127.0.0.1; 0 picks a free one. */
  readonly port: number;
  readonly keys: KeysService;
  readonly functions: FunctionsService;
  /** Counts the API requests. @default - not metered */
  readonly meter?: UsageMeter;
}

export class ApiGatewayService implements LocalService {
  public readonly name = 'API';
  private api: LocalApi | undefined;
  private readonly ready: Promise<void>;
  private markReady!: () => void;

  public constructor(private readonly options: ApiGatewayServiceOptions) {
    this.ready = new Promise<void>((resolve) => (this.markReady = resolve));
  }

  public async start(): Promise<void> {
    const { port, keys, functions, meter } = this.options;
    this.api = await startLocalApi({
      port,
      token: keys.token,
      tokenFile: keys.tokenFile,
      invoke: async (payload) => {
        await this.ready;
        meter?.apiRequest();
        return functions.host.invoke(runtimeFunctionName('api'), payload);
      },
    });
  }

  /** Lets the requests through; until then they wait. */
  public open(): void {
    this.markReady();
  }

  public get url(): string {
    return started(this.api, this.name).url;
  }

  public stop(): Promise<void> {
    return started(this.api, this.name).close();
  }
}
