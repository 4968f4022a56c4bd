// Bad input on the management API: each answer asserted whole, and the database unchanged after it.
import { IMMUTABLE_CLIENT_FIELDS } from '../../server/clients/clients.schema.js';
import { IMMUTABLE_TOKEN_FIELDS } from '../../server/restricted-tokens/restricted-tokens.schema.js';
import { OPERATOR_CONTEXT } from '../../server/shared/actor.js';
import { anonymous, machine, orgWithAdmin, type ApiCaller, type ApiResponse } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let acme: Awaited<ReturnType<typeof orgWithAdmin>>;
let bot: Awaited<ReturnType<typeof machine>>;
let client: { id: string; client_id: string; client_secret: string };
let token: { id: string; token: string };
let member: { user_id: string };

const invalidRequest = (description: string) => ({ error: 'invalid_request', error_description: description });
const notFound = (what: string) => ({ error: 'not_found', error_description: `${what} not found` });
const noSuchEndpoint = { error: 'not_found', error_description: 'no such endpoint' };
const json = { 'content-type': 'application/json' };

beforeAll(async () => {
  server = await startTestServer();
  acme = await orgWithAdmin(server, 'Acme Errors');
  bot = await machine(server, acme.org.id, ['credentials:write', 'members:write', 'audit:read']);
  client = await server.services.clients.create(
    acme.org.id,
    { name: 'Payroll export', scopes: ['payroll:Read'], expires_at: new Date(Date.now() + 30 * 86400_000).toISOString() },
    OPERATOR_CONTEXT,
  );
  token = await server.services.restrictedTokens.create(
    acme.org.id, { name: 'Kiosk', allowed_ips: ['203.0.113.7'], scopes: ['rosters:Read'] }, OPERATOR_CONTEXT,
  );
  member = await server.services.members.add(acme.org.id, { email: 'member@errors.example', role: 'member' }, OPERATOR_CONTEXT);
});
afterAll(() => server.stop());

const orgPath = () => `/v1/orgs/${acme.org.id}`;

/** Every table an API call can write, whole. */
async function snapshot() {
  const knex = server.db.knex;
  return {
    organizations: await knex('organizations').orderBy('id'),
    api_clients: await knex('api_clients').orderBy('id'),
    restricted_tokens: await knex('restricted_tokens').orderBy('id'),
    users: await knex('users').orderBy('id'),
    memberships: await knex('memberships').orderBy(['org_id', 'user_id']),
    sessions: await knex('sessions').orderBy('id_hash'),
    audit_events: await knex('audit_events').orderBy('id'),
  };
}

/** Sends the request and expects exactly this error, with nothing written anywhere. */
async function expectRefused(request: () => Promise<ApiResponse>, status: number, body: unknown) {
  const before = await snapshot();
  const response = await request();
  expect({ status: response.status, body: response.body }).toEqual({ status, body });
  expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(await snapshot()).toEqual(before);
  return response;
}

describe('request bodies that are not a JSON object', () => {
  const routesWithBodies: Array<[string, string, () => string]> = [
    ['POST', '/v1/orgs/:org/clients', () => `${orgPath()}/clients`],
    ['PATCH', '/v1/orgs/:org/clients/:id', () => `${orgPath()}/clients/${client.id}`],
    ['POST', '/v1/orgs/:org/clients/:id/rotate-secret', () => `${orgPath()}/clients/${client.id}/rotate-secret`],
    ['POST', '/v1/orgs/:org/restricted-tokens', () => `${orgPath()}/restricted-tokens`],
    ['PATCH', '/v1/orgs/:org/restricted-tokens/:id', () => `${orgPath()}/restricted-tokens/${token.id}`],
    ['POST', '/v1/orgs/:org/members', () => `${orgPath()}/members`],
    ['PATCH', '/v1/orgs/:org/members/:user', () => `${orgPath()}/members/${member.user_id}`],
    ['POST', '/v1/orgs/:org/revoke-all', () => `${orgPath()}/revoke-all`],
  ];

  it.each(routesWithBodies)('%s %s refuses malformed JSON', async (method, _route, path) => {
    await expectRefused(() => acme.session.request(method, path(), '{"name": "Payroll", ', json), 400, invalidRequest('the request body is not valid JSON'));
    await expectRefused(() => bot.request(method, path(), '{name: \'single quotes\'}', json), 400, invalidRequest('the request body is not valid JSON'));
  });

  it.each(routesWithBodies)('%s %s refuses a body that is not a JSON object', async (method, _route, path) => {
    for (const body of ['["name", "scopes"]', '"Payroll export"', '42', 'null', 'true']) {
      await expectRefused(() => acme.session.request(method, path(), body, json), 400, invalidRequest('the request body must be a JSON object'));
    }
  });

  it.each(routesWithBodies)('%s %s refuses a body that is not JSON', async (method, _route, path) => {
    const refused = invalidRequest('the request body must be JSON (Content-Type: application/json)');
    const body = JSON.stringify({ name: 'Payroll export', scopes: ['payroll:Read'] });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) {
      await expectRefused(() => acme.session.request(method, path(), body, { 'content-type': type }), 400, refused);
    }
  });

  it('refuses a JSON body in a charset other than UTF-8', async () => {
    await expectRefused(
      () => acme.session.request('POST', `${orgPath()}/clients`, JSON.stringify({ name: 'Payroll', scopes: ['payroll:Read'] }), { 'content-type': 'application/json; charset=latin1' }),
      400, invalidRequest('the request body must be UTF-8 JSON'),
    );
  });

  it('answers malformed JSON with 400 even before authentication', async () => {
    await expectRefused(() => anonymous(server).request('POST', `${orgPath()}/clients`, '{', json), 400, invalidRequest('the request body is not valid JSON'));
  });

  it('refuses malformed JSON on a route that takes no body, without acting', async () => {
    await expectRefused(() => acme.session.request('POST', `${orgPath()}/clients/${client.id}/disable`, '{oops', json), 400, invalidRequest('the request body is not valid JSON'));
  });
});

describe('request bodies over 64 KiB', () => {
  const tooLarge = { error: 'payload_too_large', error_description: 'the request body must not exceed 65536 bytes' };
  /** A create-client body of exactly `bytes` bytes, padded in its description. */
  const bodyOf = (bytes: number) => {
    const empty = JSON.stringify({ name: 'Big', scopes: ['payroll:Read'], description: '' });
    const body = JSON.stringify({ name: 'Big', scopes: ['payroll:Read'], description: 'a'.repeat(bytes - empty.length) });
    expect(Buffer.byteLength(body)).toBe(bytes);
    return body;
  };

  it('reads a body of exactly 65536 bytes (and refuses its long description)', async () => {
    await expectRefused(() => acme.session.request('POST', `${orgPath()}/clients`, bodyOf(65536), json), 400,
      invalidRequest('description: must be at most 500 characters'));
  });

  it('refuses 65537 bytes with 413', async () => {
    await expectRefused(() => acme.session.request('POST', `${orgPath()}/clients`, bodyOf(65537), json), 413, tooLarge);
    await expectRefused(() => bot.request('PATCH', `${orgPath()}/clients/${client.id}`, bodyOf(200_000), json), 413, tooLarge);
  });

  it('refuses an oversized body sent without Content-Length (chunked)', async () => {
    const chunk = new TextEncoder().encode(`{"name":"Big","scopes":["payroll:Read"],"description":"${'a'.repeat(70_000)}"}`);
    const before = await snapshot();
    const response = await fetch(`${server.url}${orgPath()}/clients`, {
      method: 'POST',
      headers: { ...json, cookie: acme.session.cookie, 'x-csrf-token': acme.session.csrfToken },
      body: new ReadableStream({ start(controller) { controller.enqueue(chunk); controller.close(); } }),
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual(tooLarge);
    expect(await snapshot()).toEqual(before);
  });
});

describe('fields that are unknown, of the wrong type or out of range', () => {
  const valid = { name: 'Payroll export', scopes: ['payroll:Read'] };
  const validToken = { name: 'Kiosk 2', allowed_ips: ['203.0.113.9'], scopes: ['rosters:Read'] };
  const long = (length: number) => 'x'.repeat(length);

  it.each<[string, string, () => string, Record<string, unknown>, string]>([
    // Unknown fields
    ['an unknown field on create', 'POST', () => `${orgPath()}/clients`, { ...valid, colour: 'red' }, 'Unrecognized key: "colour"'],
    ['an unknown field on update', 'PATCH', () => `${orgPath()}/clients/${client.id}`, { name: 'x', colour: 'red' }, 'Unrecognized key: "colour"'],
    ['an unknown field on a token', 'POST', () => `${orgPath()}/restricted-tokens`, { ...validToken, origin: 'x' }, 'Unrecognized key: "origin"'],
    ['an unknown field on rotation', 'POST', () => `${orgPath()}/clients/${client.id}/rotate-secret`, { grace: 60 }, 'Unrecognized key: "grace"'],
    ['a password chosen for a new member', 'POST', () => `${orgPath()}/members`, { email: 'a@errors.example', role: 'member', password: 'chosen' }, 'Unrecognized key: "password"'],
    ['an unknown field on revoke-all', 'POST', () => `${orgPath()}/revoke-all`, { confirm: 'Acme Errors', force: true }, 'Unrecognized key: "force"'],
    // Names and descriptions
    ['a name of 65 characters', 'POST', () => `${orgPath()}/clients`, { ...valid, name: long(65) }, 'name: must be at most 64 characters'],
    ['an empty name', 'POST', () => `${orgPath()}/clients`, { ...valid, name: '   ' }, 'name: must not be empty'],
    ['a missing name', 'POST', () => `${orgPath()}/clients`, { scopes: ['payroll:Read'] }, 'name: is required'],
    ['a name that is not a string', 'POST', () => `${orgPath()}/clients`, { ...valid, name: 12 }, 'name: must be a string'],
    ['a name with a control character', 'POST', () => `${orgPath()}/clients`, { ...valid, name: 'Pay\u0007roll' }, 'name: must not contain control characters'],
    ['a description of 501 characters', 'POST', () => `${orgPath()}/clients`, { ...valid, description: long(501) }, 'description: must be at most 500 characters'],
    ['a description of 501 characters on update', 'PATCH', () => `${orgPath()}/clients/${client.id}`, { description: long(501) }, 'description: must be at most 500 characters'],
    ['a token name of 65 characters', 'POST', () => `${orgPath()}/restricted-tokens`, { ...validToken, name: long(65) }, 'name: must be at most 64 characters'],
    // Scopes
    ['scopes that are not an array', 'POST', () => `${orgPath()}/clients`, { ...valid, scopes: 'payroll:Read' }, 'scopes: must be a list of scopes'],
    ['no scopes', 'POST', () => `${orgPath()}/clients`, { ...valid, scopes: [] }, 'scopes: must hold at least one scope'],
    ['a scope the catalog does not know', 'POST', () => `${orgPath()}/clients`, { ...valid, scopes: ['payroll:Read', 'payroll:Delete'] }, 'scopes: unknown scope payroll:Delete; see the scope catalog'],
    ['an unrestricted scope on a token', 'POST', () => `${orgPath()}/restricted-tokens`, { ...validToken, scopes: ['payroll:Write'] }, 'scopes: payroll:Write cannot be granted to a restricted token; use an API client for it'],
    // Expiry
    ['an expiry in the past', 'POST', () => `${orgPath()}/clients`, { ...valid, expires_at: '2020-01-01T00:00:00Z' }, 'expires_at: must be in the future'],
    ['an expiry without a time zone', 'POST', () => `${orgPath()}/clients`, { ...valid, expires_at: '2099-01-01T00:00:00' }, 'expires_at: must be an ISO 8601 date-time with a time zone'],
    ['a token expiry in the past', 'POST', () => `${orgPath()}/restricted-tokens`, { ...validToken, expires_at: '2020-01-01T00:00:00Z' }, 'expires_at: must be in the future'],
    // Origins
    ['an origin with a path', 'POST', () => `${orgPath()}/clients`, { ...valid, allowed_origins: ['https://app.example.com/callback'] }, 'allowed_origins.0: "https://app.example.com/callback" must not have a path, query or fragment'],
    ['an http origin', 'PATCH', () => `${orgPath()}/clients/${client.id}`, { allowed_origins: ['https://ok.example.com', 'http://app.example.com'] }, 'allowed_origins.1: "http://app.example.com" must use https (http is allowed for localhost only)'],
    ['a wildcard origin', 'POST', () => `${orgPath()}/clients`, { ...valid, allowed_origins: ['https://*.example.com'] }, 'allowed_origins.0: "https://*.example.com" must not contain a wildcard'],
    ['origins that are not a list', 'POST', () => `${orgPath()}/clients`, { ...valid, allowed_origins: 'https://app.example.com' }, 'allowed_origins: must be a list of origins'],
    // IP addresses
    ['an allowed IP that is not an address', 'POST', () => `${orgPath()}/restricted-tokens`, { ...validToken, allowed_ips: ['203.0.113.7', 'office.example.com'] }, 'allowed_ips.1: "office.example.com" is not an IPv4 or IPv6 address or CIDR'],
    ['an IPv4 prefix over /32', 'PATCH', () => `${orgPath()}/restricted-tokens/${token.id}`, { allowed_ips: ['10.0.0.0/33'] }, 'allowed_ips.0: "10.0.0.0/33" has a prefix longer than /32'],
    ['a CIDR that allows everyone', 'POST', () => `${orgPath()}/restricted-tokens`, { ...validToken, allowed_ips: ['0.0.0.0/0'] }, 'allowed_ips.0: "0.0.0.0/0" allows every address: list the addresses that may use the token'],
    ['no allowed IPs', 'POST', () => `${orgPath()}/restricted-tokens`, { ...validToken, allowed_ips: [] }, 'allowed_ips: must hold at least one IP address or CIDR'],
    ['allowed IPs that are not a list', 'POST', () => `${orgPath()}/restricted-tokens`, { ...validToken, allowed_ips: '203.0.113.7' }, 'allowed_ips: must be a list of IP addresses or CIDRs'],
    // Rotation grace period
    ['a grace period over 7 days', 'POST', () => `${orgPath()}/clients/${client.id}/rotate-secret`, { grace_period_seconds: 604801 }, 'grace_period_seconds: must be at most 604800 (7 days)'],
    ['a negative grace period', 'POST', () => `${orgPath()}/clients/${client.id}/rotate-secret`, { grace_period_seconds: -1 }, 'grace_period_seconds: must be at least 0'],
    ['a grace period as a string', 'POST', () => `${orgPath()}/clients/${client.id}/rotate-secret`, { grace_period_seconds: '3600' }, 'grace_period_seconds: must be a whole number of seconds'],
    ['a fractional grace period', 'POST', () => `${orgPath()}/clients/${client.id}/rotate-secret`, { grace_period_seconds: 1.5 }, 'grace_period_seconds: must be a whole number of seconds'],
    // Members
    ['the role "owner" for a new member', 'POST', () => `${orgPath()}/members`, { email: 'new@errors.example', role: 'owner' }, 'role: must be one of admin, developer, member'],
    ['the role "owner" on update', 'PATCH', () => `${orgPath()}/members/${member.user_id}`, { role: 'owner' }, 'role: must be one of admin, developer, member'],
    ['a member email that is not one', 'POST', () => `${orgPath()}/members`, { email: 'not-an-email', role: 'member' }, 'email: must be an email address'],
    ['can_manage_credentials as a string', 'PATCH', () => `${orgPath()}/members/${member.user_id}`, { can_manage_credentials: 'yes' }, 'can_manage_credentials: must be true or false'],
    // Updates that change nothing at all
    ['an empty client update', 'PATCH', () => `${orgPath()}/clients/${client.id}`, {}, 'give at least one of name, description, allowed_origins, rate_limit_per_minute'],
    ['an empty token update', 'PATCH', () => `${orgPath()}/restricted-tokens/${token.id}`, {}, 'give at least one of name, allowed_ips'],
    ['an empty member update', 'PATCH', () => `${orgPath()}/members/${member.user_id}`, {}, 'give role, can_manage_credentials or both'],
  ])('refuses %s with 400 naming the field', async (_name, method, path, body, description) => {
    await expectRefused(() => acme.session.request(method, path(), body), 400, invalidRequest(description));
  });

  it('answers a machine client with the same errors', async () => {
    await expectRefused(() => bot.request('POST', `${orgPath()}/clients`, { ...valid, colour: 'red' }), 400, invalidRequest('Unrecognized key: "colour"'));
    await expectRefused(() => bot.request('POST', `${orgPath()}/restricted-tokens`, { ...validToken, allowed_ips: ['not-an-ip'] }), 400,
      invalidRequest('allowed_ips.0: "not-an-ip" is not an IPv4 or IPv6 address or CIDR'));
  });

  it('accepts the limits themselves', async () => {
    const response = await acme.session.request('POST', `${orgPath()}/clients`, { ...valid, name: long(64), description: long(500) });
    expect(response.status).toBe(201);
    const rotated = await acme.session.request('POST', `${orgPath()}/clients/${response.body.id}/rotate-secret`, { grace_period_seconds: 604800 });
    expect(rotated.status).toBe(200);
  });
});

describe('fields an update may not touch', () => {
  const clientValues: Record<string, unknown> = {
    scopes: ['payroll:Read', 'payroll:Write'], expires_at: null, status: 'active', client_secret: 'lks_chosen-by-the-caller-0123456789',
    id: '00000000-0000-4000-8000-000000000000', client_id: 'lkc_chosen', secret_last4: 'abcd', created_at: '2020-01-01T00:00:00Z',
    created_by: { type: 'user', id: null, name: 'x' }, updated_at: '2020-01-01T00:00:00Z', last_used_at: null,
  };

  it('lists a value for every immutable API client field', () => {
    expect(Object.keys(clientValues).sort()).toEqual(Object.keys(IMMUTABLE_CLIENT_FIELDS).sort());
  });

  it.each(Object.entries(IMMUTABLE_CLIENT_FIELDS))('PATCH of an API client\'s %s answers "%s" and changes nothing', async (field, sentence) => {
    for (const caller of [acme.session, bot] as ApiCaller[]) {
      // Alone, and next to a change that would be allowed: neither happens.
      for (const body of [{ [field]: clientValues[field] }, { name: 'Renamed', [field]: clientValues[field] }]) {
        const response = await expectRefused(() => caller.request('PATCH', `${orgPath()}/clients/${client.id}`, body), 400, invalidRequest(sentence));
        expect(response.text).not.toContain('lks_chosen');
      }
    }
  });

  it('does not re-enable a disabled API client through PATCH status', async () => {
    const disabled = await server.services.clients.create(acme.org.id, { name: 'Disabled', scopes: ['payroll:Read'] }, OPERATOR_CONTEXT);
    await server.services.clients.setStatus(acme.org.id, disabled.id, 'disabled', OPERATOR_CONTEXT);
    await expectRefused(() => acme.session.request('PATCH', `${orgPath()}/clients/${disabled.id}`, { status: 'active' }), 400,
      invalidRequest(IMMUTABLE_CLIENT_FIELDS.status as string));
  });

  const tokenValues: Record<string, unknown> = {
    scopes: ['rosters:Read', 'employees:Read'], expires_at: '2099-01-01T00:00:00Z', token: 'lkr_chosen-by-the-caller-0123456789',
    id: '00000000-0000-4000-8000-000000000000', token_last4: 'abcd', created_at: '2020-01-01T00:00:00Z',
    created_by: { type: 'user', id: null, name: 'x' }, last_used_at: null,
  };

  it('lists a value for every immutable restricted token field', () => {
    expect(Object.keys(tokenValues).sort()).toEqual(Object.keys(IMMUTABLE_TOKEN_FIELDS).sort());
  });

  it.each(Object.entries(IMMUTABLE_TOKEN_FIELDS))('PATCH of a restricted token\'s %s answers "%s" and changes nothing', async (field, sentence) => {
    for (const caller of [acme.session, bot] as ApiCaller[]) {
      for (const body of [{ [field]: tokenValues[field] }, { name: 'Renamed', [field]: tokenValues[field] }]) {
        const response = await expectRefused(() => caller.request('PATCH', `${orgPath()}/restricted-tokens/${token.id}`, body), 400, invalidRequest(sentence));
        expect(response.text).not.toContain('lkr_chosen');
      }
    }
  });
});

describe('POST /v1/orgs/:org/revoke-all with a wrong confirmation', () => {
  beforeAll(() => server.services.orgs.create({ name: 'Other Org' }, OPERATOR_CONTEXT));

  it.each<[string, Record<string, unknown>, string]>([
    ['another case', { confirm: 'acme errors' }, 'confirm: must be exactly the organization\'s name'],
    ['a trailing space', { confirm: 'Acme Errors ' }, 'confirm: must be exactly the organization\'s name'],
    ['an empty string', { confirm: '' }, 'confirm: must be exactly the organization\'s name'],
    ['another organization\'s name', { confirm: 'Other Org' }, 'confirm: must be exactly the organization\'s name'],
    ['no confirm', {}, 'confirm: is required: the organization\'s name'],
  ])('refuses %s and revokes nothing', async (_name, body, description) => {
    await expectRefused(() => acme.session.request('POST', `${orgPath()}/revoke-all`, body), 400, invalidRequest(description));
    expect((await server.db.knex('api_clients').where({ id: client.id }).first()).status).toBe('active');
    expect((await server.db.knex('restricted_tokens').where({ id: token.id }).first()).deleted_at).toBeNull();
  });
});

describe('unknown routes and malformed ids', () => {
  it.each<[string, () => string]>([
    ['GET', () => '/v1/nope'],
    ['GET', () => '/v1'],
    ['GET', () => '/v1/orgs/'.concat(acme.org.id, '/clients/', client.id, '/secret')],
    ['POST', () => `${orgPath()}/clients/${client.id}/enable`],
    ['PUT', () => `${orgPath()}/clients/${client.id}`],
    ['DELETE', () => orgPath()],
    ['POST', () => `${orgPath()}/restricted-tokens/${token.id}/rotate`],
    ['GET', () => '/v1/orgs/'.concat(acme.org.id, '/api-clients')],
  ])('%s to an unknown route answers 404 JSON, signed in or not', async (method, path) => {
    for (const caller of [acme.session, bot, anonymous(server)] as ApiCaller[]) {
      await expectRefused(() => caller.request(method, path(), method === 'GET' || method === 'DELETE' ? undefined : { name: 'x' }), 404, noSuchEndpoint);
    }
  });

  it.each<[string, string, () => string, unknown, unknown]>([
    ['an organization id', 'GET', () => '/v1/orgs/not-a-uuid/clients', undefined, notFound('organization')],
    ['an organization id on a change', 'POST', () => '/v1/orgs/not-a-uuid/clients', { name: 'x', scopes: ['payroll:Read'] }, notFound('organization')],
    ['an organization id with SQL in it', 'GET', () => `/v1/orgs/${encodeURIComponent("1' or '1'='1")}/audit-events`, undefined, notFound('organization')],
    ['an API client id', 'GET', () => `${orgPath()}/clients/not-a-uuid`, undefined, notFound('API client')],
    ['an API client id on delete', 'DELETE', () => `${orgPath()}/clients/not-a-uuid`, undefined, notFound('API client')],
    ['a restricted token id', 'PATCH', () => `${orgPath()}/restricted-tokens/not-a-uuid`, { name: 'x' }, notFound('restricted token')],
    ['a restricted token id on delete', 'DELETE', () => `${orgPath()}/restricted-tokens/123`, undefined, notFound('restricted token')],
    ['a member id', 'PATCH', () => `${orgPath()}/members/not-a-uuid`, { role: 'developer' }, notFound('member')],
    ['a member id on delete', 'DELETE', () => `${orgPath()}/members/not-a-uuid`, undefined, notFound('member')],
    ['an unknown but well-formed API client id', 'DELETE', () => `${orgPath()}/clients/00000000-0000-4000-8000-000000000000`, undefined, notFound('API client')],
  ])('a malformed %s answers 404', async (_name, method, path, body, expected) => {
    await expectRefused(() => acme.session.request(method, path(), body), 404, expected);
  });
});
