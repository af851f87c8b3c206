import type { Core } from '../../core/core.js';
import { TokenTrayError } from '../../core/shared/errors.js';
import { startMetadataServer, type MetadataServer } from '../../core/integrations/metadata-server.js';
import type { MetadataRequest, MetadataStatus } from '../ipc-contract.js';
import { Serial, type AppHandlerDeps, type DomainHandlers } from './deps.js';

/**
 * The metadata-server emulator the window switches on and off. It owns the running server; switches
 * run one at a time, so overlapping toggles never leave a server nobody can stop, and once closed
 * (quitting) it starts no other.
 */
export class MetadataSwitch {
  private running: { server: MetadataServer; accountId: string } | undefined;
  private closed = false;
  private readonly switches = new Serial();

  constructor(private readonly core: Core) {}

  status(): MetadataStatus {
    const current = this.running;
    if (!current) return { running: false };
    const { host } = current.server;
    // As `tokentray exec` sets them: Python, Node and Go read the first two, gcloud the third.
    const exports = `export GCE_METADATA_HOST=${host}\nexport GCE_METADATA_IP=${host}\nexport GCE_METADATA_ROOT=${host}`;
    return { running: true, host, accountId: current.accountId, exports };
  }

  set({ enabled, accountId }: MetadataRequest): Promise<MetadataStatus> {
    return this.switches.run(async () => {
      await this.stop();
      if (enabled) {
        if (this.closed) throw new TokenTrayError('APP_QUITTING', 'TokenTray is quitting: the metadata server stays off.');
        const account = await this.core.accounts.resolve(accountId);
        this.running = { server: await startMetadataServer({ core: this.core, account: account.id }), accountId: account.id };
      }
      return this.status();
    });
  }

  /** Stops the server after any switch under way, and for good. */
  close(): Promise<void> {
    this.closed = true;
    return this.switches.run(() => this.stop());
  }

  private async stop(): Promise<void> {
    const current = this.running;
    this.running = undefined;
    await current?.server.close();
  }
}

/** The metadata-server emulator, switched from the window. */
export function metadataHandlers(deps: AppHandlerDeps, metadata: MetadataSwitch): DomainHandlers<'metadata:get' | 'metadata:set' | 'metadata:copy-exports'> {
  return {
    'metadata:get': async () => metadata.status(),
    'metadata:set': (request) => metadata.set(request),
    // The main process writes the clipboard: the window has no clipboard permission.
    async 'metadata:copy-exports'() {
      const { exports } = metadata.status();
      if (!exports) throw new TokenTrayError('METADATA_SERVER_STOPPED', 'The metadata server is not running: switch it on first.');
      await deps.clipboard.copy(exports);
      return true;
    },
  };
}
