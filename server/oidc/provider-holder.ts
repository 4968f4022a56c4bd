// Holds the current oidc-provider instance. oidc-provider reads its keys only when constructed,
// so a key rotation (by any process, the CLI included) is picked up by polling the keys table and
// building a new provider; requests in flight finish on the old one.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JWK } from 'jose';
import type Provider from 'oidc-provider';
import type { KeysService } from '../keys/keys.service.js';
import type { Logger } from '../shared/logger.js';
import { buildProvider, type ProviderDeps } from './provider.js';

export interface ProviderHolderDeps extends Omit<ProviderDeps, 'keySet'> {
  keys: KeysService;
  logger: Logger;
  /** Called after each issued token, with the client_id. */
  onTokenIssued?: (clientId: string) => void;
}

type Callback = (req: IncomingMessage, res: ServerResponse) => unknown;

export async function createProviderHolder(deps: ProviderHolderDeps) {
  const { keys, logger, onTokenIssued, ...providerDeps } = deps;

  async function build() {
    const keySet = await keys.load();
    const provider = buildProvider({ ...providerDeps, keySet });
    provider.on('grant.success', (ctx) => {
      const clientId = ctx.oidc.client?.clientId;
      if (clientId && onTokenIssued) onTokenIssued(clientId);
    });
    provider.on('server_error', (_ctx, error) => logger.error({ err: error }, 'token service error'));
    return {
      provider,
      callback: provider.callback() as Callback,
      fingerprint: keySet.fingerprint,
      kid: keySet.active.kid,
      algorithms: [...new Set(keySet.privateJwks.map((jwk) => jwk.alg as string))],
      publicJwks: keySet.publicJwks,
    };
  }

  let current = await build();
  let timer: NodeJS.Timeout | undefined;

  const holder = {
    get provider(): Provider {
      return current.provider;
    },
    /** Algorithms of the published keys, the active key's first. */
    get algorithms(): string[] {
      return current.algorithms;
    },
    /** The published public keys, for verifying this server's own tokens. */
    get publicJwks(): JWK[] {
      return current.publicJwks;
    },
    /** Node-style handler delegating to the current provider. */
    handle(req: IncomingMessage, res: ServerResponse) {
      return current.callback(req, res);
    },
    /** Rebuilds the provider when the published or active keys changed; true when it did. */
    async refresh(): Promise<boolean> {
      const next = await keys.load();
      if (next.fingerprint === current.fingerprint) return false;
      current = await build();
      logger.info({ kid: current.kid }, 'signing keys changed; now signing with the active key');
      return true;
    },
    startPolling(intervalSeconds: number) {
      timer = setInterval(() => {
        holder.refresh().catch((error: unknown) => logger.warn({ err: error }, 'signing key refresh failed'));
      }, intervalSeconds * 1000);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
    },
  };
  return holder;
}

export type ProviderHolder = Awaited<ReturnType<typeof createProviderHolder>>;
