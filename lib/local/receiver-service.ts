/**
 * The HTTP receiver of the `http` systems as a service (local-mode.ts, receiver.ts): the SaaS behind their
 * webhooks. With `persist`, its records are saved to `<dataDir>/receiver.json` at stop and read back on the next
 * start.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { KeysService } from './data-dir-service';
import { type LocalService, started } from './local-mode';
import { type LocalReceiver, startReceiver } from './receiver';

export interface ReceiverServiceOptions {
  readonly keys: KeysService;
  /** Each http system's id and the name of its webhook signing secret. */
  readonly webhookSecrets: Readonly<Record<string, string>>;
  /** Systems held from the start (receiver.ts, hold()). @default none */
  readonly hold?: readonly string[];
  /** Called after a held system is released. */
  readonly onRelease: (system: string) => void;
  readonly dataDir: string;
  readonly persist: boolean;
}

export class ReceiverService implements LocalService {
  public readonly name = 'receiver';
  private running: LocalReceiver | undefined;
  private readonly file: string;

  public constructor(private readonly options: ReceiverServiceOptions) {
    this.file = path.join(options.dataDir, 'receiver.json');
  }

  public async start(): Promise<void> {
    const { keys, webhookSecrets, hold, onRelease } = this.options;
    this.running = await startReceiver({
      secrets: Object.fromEntries(Object.entries(webhookSecrets).map(([system, secretName]) => [system, keys.secrets.values[secretName]])),
      ...(hold ? { hold } : {}),
      onRelease,
    });
  }

  public get receiver(): LocalReceiver {
    return started(this.running, this.name);
  }

  /** Puts back the records saved by the last run, if it persisted any. */
  public restoreRecords(): void {
    if (!this.options.persist || !existsSync(this.file)) return;
    const receiver = this.receiver;
    const saved = JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, Record<string, Record<string, unknown>>>;
    for (const [system, records] of Object.entries(saved))
      for (const [id, record] of Object.entries(records)) receiver.put(system, id, record);
  }

  public async stop(): Promise<void> {
    const receiver = this.receiver;
    try {
      if (this.options.persist) {
        const records = Object.keys(this.options.webhookSecrets).map((system) => [system, receiver.records(system)]);
        writeFileSync(this.file, JSON.stringify(Object.fromEntries(records), null, 2));
      }
    } finally {
      await receiver.close();
    }
  }
}
