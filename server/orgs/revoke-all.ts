// Revoke all: disables every API client and deletes every restricted token of an organization in
// one transaction. The token endpoint reads each client's row on every request, so this takes
// effect at once on every instance.
import type { Knex } from 'knex';
import { z } from 'zod';
import { createAuditRepository } from '../audit/audit.repository.js';
import { forgetClientsHere } from '../clients/client-cache.js';
import { createClientsRepository } from '../clients/clients.repository.js';
import { createRevocationRepository } from '../revocation/revocation.repository.js';
import { createRestrictedTokensRepository } from '../restricted-tokens/restricted-tokens.repository.js';
import type { RequestContext } from '../shared/actor.js';
import { AppError } from '../shared/errors.js';
import { inTransaction } from '../shared/transaction.js';
import { parseInput, typeError } from '../shared/validation.js';
import type { OrgsService } from './orgs.service.js';

export const revokeAllSchema = z.object({ confirm: z.string({ error: typeError("the organization's name", "the organization's name") }) }).strict();

export function createRevokeAll({ db, orgs, accessTokenTtlSeconds }: { db: Knex; orgs: OrgsService; accessTokenTtlSeconds: number }) {
  return async function revokeAll(orgId: string, input: unknown, context: RequestContext) {
    const { confirm } = parseInput(revokeAllSchema, input);
    const changed: string[] = [];
    const result = await inTransaction(db, async (trx) => {
      const org = await orgs.lock(trx, orgId);
      if (confirm !== org.name) {
        throw AppError.invalidRequest('confirm: must be exactly the organization\'s name');
      }
      const clients = await createClientsRepository(trx).disableAll(orgId);
      const tokens = await createRestrictedTokensRepository(trx).deleteAll(orgId);
      // Every token the organization's clients hold is revoked at once, active or already disabled.
      const revocations = createRevocationRepository(trx);
      const now = new Date();
      for (const clientId of await createClientsRepository(trx).clientIdsOfOrg(orgId)) {
        await revocations.setClientNotBefore(clientId, now, accessTokenTtlSeconds);
        changed.push(clientId);
      }
      await createAuditRepository(trx).insert(context, {
        orgId,
        action: 'org.revoke_all',
        target: { type: 'organization', id: org.id, name: org.name },
        metadata: { api_clients_disabled: clients.map((client) => client.client_id), restricted_tokens_deleted: tokens.map((token) => token.id) },
      });
      return { api_clients_disabled: clients.length, restricted_tokens_deleted: tokens.length };
    });
    forgetClientsHere(changed);
    return result;
  };
}
