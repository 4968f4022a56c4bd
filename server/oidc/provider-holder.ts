// Holds the current oidc-provider instance. oidc-provider reads its keys only when constructed,
// so a key rotation (by any process, the CLI included) is picked up by polling the keys table and
// building a new provider; requests in flight finish on the old one.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JWK } from 'jose';
import type Provider from 'oidc-provider';
import type { KeysService } from '../keys/keys.service.js';
import type { Logger } from '../shared/logger.js';
import { attribute } from '../usage/recorder.js';
import { buildProvider, fieldsOf, TooManyRequests, type ProviderDeps } from './provider.js';

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
    // Which client each token request was for and how it ended, for usage and API logs. A request
    // for an unknown client_id concerns no credential and is only counted in the metrics.
    provider.on('grant.success', (ctx) => {
      const client = ctx.oidc.client;
      if (!client) return;
      onTokenIssued?.(client.clientId);
      const scope = (ctx.body as { scope?: unknown } | undefined)?.scope;
      attribute(ctx.req, {
        credentialType: 'api_client',
        credentialId: client.clientId,
        orgId: fieldsOf(client).org_id,
        reason: null,
        scope: typeof scope === 'string' ? scope : null,
      });
    });
    provider.on('grant.error', (ctx, error) => {
      const client = ctx.oidc?.client;
      if (!client) return;
      const code = (error as { error?: unknown }).error;
      attribute(ctx.req, {
        credentialType: 'api_client',
        credentialId: client.clientId,
        orgId: fieldsOf(client).org_id,
        reason: error instanceof TooManyRequests ? error.reason : typeof code === 'string' ? code : 'server_error',
      });
    });
    provider.on('server_error', (ctx, error) => {
      logger.error({ err: error }, 'token service error');
      const client = ctx.oidc?.client;
      if (client) {
        attribute(ctx.req, { credentialType: 'api_client', credentialId: client.clientId, orgId: fieldsOf(client).org_id, reason: 'server_error' });
      }
    });
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
