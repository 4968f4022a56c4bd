/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The console's audit log (filters, paging, CSV), members page (invite with a one-time password,
// role and flag changes, removal) and the API reference and Postman collection built from
// /v1/openapi.json, in a real browser.
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { addUser, orgWithAdmin, signIn, type SignedIn } from '../helpers/api.js';
import { ARTIFACTS, eventually, launchBrowser, openConsole, signInThroughConsole, type ConsolePage } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { OPERATOR_CONTEXT } from '../../server/shared/actor.js';

let server: TestServer;
let browser: Browser;
let ui: ConsolePage;
let page: Page;
let orgId: string;
let admin: { email: string; password: string; userId: string };
let adminSession: SignedIn;
let developer: { email: string; password: string; userId: string };
let payroll: { id: string; client_id: string };
let roster: { id: string; client_id: string };

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  const setup = await orgWithAdmin(server, 'Audit Org');
  orgId = setup.org.id;
  admin = setup.admin;
  adminSession = setup.session;
  developer = await addUser(server, orgId, 'developer', { email: 'dev@audit.example' });
  const devSession = await signIn(server, developer.email, developer.password);
  payroll = (await adminSession.request('POST', `/v1/orgs/${orgId}/clients`, { name: 'Payroll export', scopes: ['payroll:Read'] })).body;
  roster = (await devSession.request('POST', `/v1/orgs/${orgId}/clients`, { name: 'Roster sync', scopes: ['rosters:Read'] })).body;
  // Enough events for two pages of 25.
  for (let i = 1; i <= 24; i += 1) {
    const response = await adminSession.request('PATCH', `/v1/orgs/${orgId}/clients/${payroll.id}`, { description: `revision ${i}` });
    expect(response.status).toBe(200);
  }
  ui = await openConsole(browser, server);
  page = ui.page;
  await signInThroughConsole(page, admin.email, admin.password);
});
afterAll(async () => {
  await ui?.close();
  await browser?.close();
  await server?.stop();
});

const actionsShown = () => page.locator('table[aria-label="Audit events"] tbody tr td:nth-child(2)').allInnerTexts();

/** The events as the API lists them (newest first), for comparison with what the page shows. */
async function apiEvents(query = ''): Promise<Array<{ action: string; target: { id: string } | null }>> {
  const response = await adminSession.request('GET', `/v1/orgs/${orgId}/audit-events?limit=200${query}`);
  expect(response.status).toBe(200);
  return response.body.events;
}

async function applyFilters() {
  await page.getByRole('button', { name: 'Apply filters' }).click();
}

describe('the audit log page', () => {
  it('pages through every event, newest first, 25 at a time', async () => {
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
    await page.locator('table[aria-label="Audit events"] tbody tr').first().waitFor();
    const all = await apiEvents();
    expect(all.length).toBeGreaterThan(25);
    expect(all.length).toBe(Number((await server.db.knex('audit_events').where({ org_id: orgId }).count({ n: '*' }))[0]?.n));
    const firstPage = all.slice(0, 25).map((e) => e.action);
    expect(await eventually(actionsShown, firstPage)).toEqual(firstPage);
    await ui.screenshot('30-audit-log');
    await page.getByRole('button', { name: 'Older →' }).click();
    await page.getByText('Page 2').waitFor();
    // The pager names the page on screen: its rows are there as soon as its number is.
    expect(await actionsShown()).toEqual(all.slice(25, 50).map((e) => e.action));
    expect(await page.getByRole('button', { name: 'Older →' }).isDisabled()).toBe(all.length <= 50);
    await page.getByRole('button', { name: '← Newer' }).click();
    await page.getByText('Page 1').waitFor();
    expect(await page.getByRole('button', { name: '← Newer' }).isDisabled()).toBe(true);
  });

  it('filters by action, actor and credential, and downloads exactly the matching events as CSV', async () => {
    await page.getByLabel('Action').selectOption('api_client.created');
    await applyFilters();
    await page.getByText('Page 1').waitFor();
    expect(await eventually(actionsShown, ['api_client.created', 'api_client.created'])).toEqual(['api_client.created', 'api_client.created']);

    await page.getByLabel('Actor').selectOption({ label: developer.email });
    await applyFilters();
    expect(await eventually(actionsShown, ['api_client.created'])).toEqual(['api_client.created']);
    expect(await page.locator('table[aria-label="Audit events"] tbody tr').first().innerText()).toContain('Roster sync');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
    expect(download.suggestedFilename()).toBe(`audit-events-${orgId}.csv`);
    const csv = readFileSync((await download.path()) as string, 'utf8');
    const expected = await adminSession.request('GET', `/v1/orgs/${orgId}/audit-events?action=api_client.created&actor=${developer.userId}&format=csv`);
    expect(csv).toBe(expected.text);
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toBe('id,at,action,actor_type,actor_id,actor_name,target_type,target_id,target_name,ip,user_agent,metadata');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`,api_client.created,user,${developer.userId},${developer.email},api_client,${roster.id},Roster sync,`);

    // Credential: every event about the payroll client, whoever did it.
    await page.getByLabel('Action').selectOption('');
    await page.getByLabel('Actor').selectOption('');
    await page.getByLabel('Credential').selectOption({ label: 'Payroll export (API client)' });
    await applyFilters();
    await page.getByText('Page 1').waitFor();
    const aboutPayroll = await apiEvents(`&target=${payroll.id}`);
    const payrollActions = aboutPayroll.slice(0, 25).map((e) => e.action);
    expect(await eventually(actionsShown, payrollActions)).toEqual(payrollActions);
    expect(aboutPayroll.every((e) => e.target?.id === payroll.id)).toBe(true);
    expect(aboutPayroll.map((e) => e.action).sort().slice(0, 2)).toEqual(['api_client.created', 'api_client.updated']);
  });

  it('shows the answer to the filters applied last, even when an earlier answer arrives after it', async () => {
    await page.getByRole('button', { name: 'Reset' }).click();
    await page.getByText('Page 1').waitFor();
    // The answer for api_client.updated is held back until the one for api_client.created is on screen.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const slow = /\/audit-events\?(.*&)?action=api_client\.updated(&|$)/;
    await page.route(slow, async (route) => {
      await held;
      await route.continue();
    });
    try {
      const created = (await apiEvents('&action=api_client.created')).map((e) => e.action);
      expect(created.length).toBeGreaterThan(0);
      await page.getByLabel('Action').selectOption('api_client.updated');
      await applyFilters();
      await page.getByLabel('Action').selectOption('api_client.created');
      await applyFilters();
      expect(await eventually(actionsShown, created)).toEqual(created);
      const late = page.waitForResponse(slow);
      release();
      await late;
      // Two frames for React to render whatever that late answer would change.
      await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
      expect(await actionsShown()).toEqual(created);
      expect(await page.getByText('Page 1').count()).toBe(1);
    } finally {
      release();
      await page.unroute(slow);
    }
  });

  it('filters by time range, explains an empty result, and refuses a range that ends before it starts', async () => {
    await page.getByRole('button', { name: 'Reset' }).click();
    await page.getByLabel('From', { exact: true }).fill('2099-01-01T00:00');
    await applyFilters();
    await page.getByText('No audit events match these filters.').waitFor();

    await page.getByLabel('From', { exact: true }).fill('2020-01-02T00:00');
    await page.getByLabel('To', { exact: true }).fill('2020-01-01T00:00');
    await applyFilters();
    await page.getByText('from: must be before to').waitFor();

    await page.getByLabel('From', { exact: true }).fill('2020-01-01T00:00');
    await page.getByLabel('To', { exact: true }).fill('2099-01-01T00:00');
    await applyFilters();
    await page.locator('table[aria-label="Audit events"] tbody tr').first().waitFor();
    expect((await actionsShown()).length).toBe(25);
    expect(ui.problems).toEqual([]);
  });
});

describe('the members page', () => {
  let invitedPassword: string;

  it('invites a new member and shows the one-time password once; it signs in', async () => {
    await page.getByRole('link', { name: 'Members' }).click();
    await page.getByRole('heading', { name: 'Members', level: 1 }).waitFor();
    await page.getByRole('row', { name: /dev@audit\.example/ }).waitFor();

    await page.getByLabel('Email', { exact: true }).fill('not an email');
    await page.getByRole('button', { name: 'Invite' }).click();
    await page.getByText('must be an email address').waitFor();

    await page.getByLabel('Email', { exact: true }).fill('New.Person@Audit.example');
    await page.getByLabel('Role', { exact: true }).selectOption('developer');
    await page.getByRole('button', { name: 'Invite' }).click();
    const modal = page.getByRole('dialog', { name: 'Member Added' });
    invitedPassword = await modal.getByTestId('secret-value').innerText();
    expect(invitedPassword.length).toBeGreaterThanOrEqual(16);
    await ui.screenshot('31-member-password');
    await modal.getByLabel('I have copied it and stored it somewhere safe').check();
    await modal.getByRole('button', { name: 'Ok', exact: true }).click();
    await modal.waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(invitedPassword);

    const session = await signIn(server, 'new.person@audit.example', invitedPassword);
    expect(session.login.body.memberships).toEqual([{ org_id: orgId, org_name: 'Audit Org', role: 'developer', can_manage_credentials: false }]);
  });

  it('adds an existing user without a password, and puts the API\'s 409 for a member next to the email', async () => {
    const other = await server.services.orgs.create({ name: 'Elsewhere' }, OPERATOR_CONTEXT);
    await addUser(server, other.id, 'member', { email: 'known@audit.example' });
    await page.getByLabel('Email', { exact: true }).fill('known@audit.example');
    await page.getByRole('button', { name: 'Invite' }).click();
    await page.getByText('known@audit.example already had a Latchkey account and was added as member').waitFor();
    expect(await page.getByRole('dialog').count()).toBe(0);

    await page.getByLabel('Email', { exact: true }).fill('known@audit.example');
    await page.getByRole('button', { name: 'Invite' }).click();
    const error = page.locator('.invite .field-error');
    await error.waitFor();
    expect(await error.innerText()).toMatch(/already a member/);
    expect(await page.getByLabel('Email', { exact: true }).inputValue()).toBe('known@audit.example');
  });

  it('changes a role and the credential flag, and removes a member after a confirm modal naming them', async () => {
    const membership = () => server.db.knex('memberships').join('users', 'users.id', 'memberships.user_id').where({ org_id: orgId, email: 'new.person@audit.example' });
    await page.getByLabel('Role of new.person@audit.example').selectOption('member');
    await page.getByText('new.person@audit.example is now member.').waitFor();
    await page.getByLabel('new.person@audit.example can manage credentials').check();
    await page.getByText('new.person@audit.example is now member and can manage credentials.').waitFor();
    expect((await membership()).map((m: { role: string; can_manage_credentials: boolean }) => [m.role, m.can_manage_credentials])).toEqual([['member', true]]);
    await ui.screenshot('32-members');

    await page.getByRole('row', { name: /new\.person@audit\.example/ }).getByRole('button', { name: 'Remove' }).click();
    const confirm = page.getByRole('dialog', { name: 'Remove the member?' });
    expect(await confirm.innerText()).toContain('new.person@audit.example loses access');
    await confirm.getByRole('button', { name: 'Remove' }).click();
    await page.getByText('new.person@audit.example was removed from the organization.').waitFor();
    expect(await membership()).toEqual([]);
    expect(await page.getByRole('row', { name: /new\.person@audit\.example/ }).count()).toBe(0);
  });

  it('shows the API\'s refusal to demote the last admin and leaves the role as it was', async () => {
    await page.getByLabel(`Role of ${admin.email}`).selectOption('developer');
    await page.getByRole('alert').filter({ hasText: admin.email }).waitFor();
    expect(await page.getByLabel(`Role of ${admin.email}`).inputValue()).toBe('admin');
    const [row] = await server.db.knex('memberships').where({ org_id: orgId, user_id: admin.userId });
    expect(row.role).toBe('admin');
    expect(ui.problems).toEqual([]);
  });
});

describe('the API reference and the Postman collection', () => {
  let document: { paths: Record<string, Record<string, { summary: string; tags: string[] }>> };
  const operations = () => Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, ...op })));

  beforeAll(async () => {
    document = await (await fetch(`${server.url}/v1/openapi.json`)).json();
  });

  it('View Docs opens Latchkey\'s own reference page, rendered from /v1/openapi.json with nothing fetched from elsewhere', async () => {
    await page.getByRole('link', { name: 'API', exact: true }).click();
    const requested: string[] = [];
    const record = (request: { url(): string }) => requested.push(request.url());
    ui.context.on('request', record);
    const [docs] = await Promise.all([page.waitForEvent('popup'), page.getByRole('link', { name: 'View Docs' }).click()]);
    await docs.getByRole('heading', { name: 'Latchkey management API', level: 1 }).waitFor();
    expect(new URL(docs.url()).pathname).toBe('/console/docs');
    const shown = await docs.locator('article.operation h3').evaluateAll((headings) =>
      headings.filter((h) => h.querySelector('.method')).map((h) => (h as HTMLElement).innerText.replace(/\s+/, ' ')),
    );
    expect(shown).toEqual(operations().map((op) => `${op.method.toUpperCase()} ${op.path}`));
    ui.context.off('request', record);
    expect(requested).toEqual(expect.arrayContaining([`${server.url}/console/docs`, `${server.url}/v1/openapi.json`]));
    expect(requested.filter((url) => !url.startsWith(`${server.url}/`))).toEqual([]);
    await docs.screenshot({ path: `${ARTIFACTS}/33-api-reference.png`, fullPage: false });
    await docs.close();
  });

  it('Run in Postman downloads a v2.1 collection with every operation of the document', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Run in Postman' }).click()]);
    expect(download.suggestedFilename()).toBe('latchkey-management-api.postman_collection.json');
    const collection = JSON.parse(readFileSync((await download.path()) as string, 'utf8'));
    expect(collection.info).toMatchObject({ name: 'Latchkey management API', schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json' });
    expect(collection.variable).toEqual([
      { key: 'baseUrl', value: server.issuer, description: 'the Latchkey issuer URL' },
      { key: 'orgId', value: '', description: 'the organization to work in (set by Sign in)' },
      { key: 'csrfToken', value: '', description: 'set by Sign in' },
    ]);
    const requests = collection.item.flatMap((folder: { item: unknown[] }) => folder.item);
    expect(requests.map((item: { request: { method: string; url: { raw: string } } }) => `${item.request.method} ${item.request.url.raw}`)).toEqual(
      operations().map((op) => `${op.method.toUpperCase()} {{baseUrl}}${op.path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    const create = requests.find((item: { request: { method: string; url: { raw: string } } }) => item.request.method === 'POST' && item.request.url.raw === '{{baseUrl}}/v1/orgs/:org/clients');
    expect(create.request.header).toEqual([
      { key: 'Accept', value: 'application/json' },
      { key: 'Content-Type', value: 'application/json' },
      { key: 'X-CSRF-Token', value: '{{csrfToken}}', description: 'set by the "Sign in" request; needed for changes made with the session cookie' },
    ]);
    expect(create.request.url.variable).toEqual([{ key: 'org', value: '{{orgId}}' }]);
    expect(Object.keys(JSON.parse(create.request.body.raw)).sort()).toEqual(['allowed_origins', 'description', 'expires_at', 'name', 'scopes']);
    const login = requests.find((item: { request: { url: { raw: string } } }) => item.request.url.raw === '{{baseUrl}}/v1/auth/login');
    expect(login.event[0].script.exec.join('\n')).toContain("pm.collectionVariables.set('csrfToken', session.csrf_token)");
    expect(ui.problems).toEqual([]);
  });
});
