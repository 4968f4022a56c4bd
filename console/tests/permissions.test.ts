// The console shows or hides controls by role; the API decides. The two must agree, or the console
// offers what the API refuses (or hides what it allows).
import { memberMay, ROLES, type Permission } from '../../server/auth/permissions.js';
import { abilitiesOf, type Abilities } from '../src/permissions';

const PERMISSION_OF: Partial<Record<keyof Abilities, Permission>> = {
  readOrg: 'org:read',
  readClients: 'clients:read',
  readTokens: 'tokens:read',
  writeClients: 'clients:write',
  writeTokens: 'tokens:write',
  readAudit: 'audit:read',
  manageMembers: 'members:write',
  revokeAll: 'org:revoke-all',
};

describe('abilitiesOf', () => {
  const memberships = ROLES.flatMap((role) => [false, true].map((flag) => ({ role, can_manage_credentials: flag })));
  it.each(memberships)('agrees with the server for %j', (membership) => {
    const abilities = abilitiesOf({ org_id: 'org', org_name: 'Org', ...membership });
    for (const [ability, permission] of Object.entries(PERMISSION_OF)) {
      expect([ability, abilities[ability as keyof Abilities]]).toEqual([ability, memberMay(membership, permission)]);
    }
    expect(abilities.createAny).toBe(abilities.writeClients || abilities.writeTokens);
  });

  it('gives nothing without a membership', () => {
    expect(Object.values(abilitiesOf(undefined)).every((value) => value === false)).toBe(true);
  });
});
