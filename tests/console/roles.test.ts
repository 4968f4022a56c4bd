/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Roles in the console, as PRODUCT.md defines them: what each role sees and can use, the reason
// given for what it cannot, and the API refusing what the UI hides.
import type { Browser, Page } from 'playwright-core';
import { addUser } from '../helpers/api.js';
import { launchBrowser, openConsole, signInThroughConsole, type ConsolePage } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { OPERATOR_CONTEXT } from '../../server/shared/actor.js';

let server: TestServer;
let browser: Browser;
let orgId: string;
let otherOrgId: string;
const pages: ConsolePage[] = [];

const WHY_CLIENTS = 'Changing API clients needs the admin or developer role.';
const WHY_TOKENS = 'Changing restricted tokens needs the admin or developer role, or the "can manage credentials" flag.';

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  orgId = (await server.services.orgs.create({ name: 'Roles Org' }, OPERATOR_CONTEXT)).id;
  otherOrgId = (await server.services.orgs.create({ name: 'Second Org' }, OPERATOR_CONTEXT)).id;
  await server.services.clients.create(orgId, { name: 'Warehouse loader', scopes: ['payroll:Read'] }, OPERATOR_CONTEXT);
  await server.services.restrictedTokens.create(orgId, { name: 'Kiosk', allowed_ips: ['198.51.100.4'], scopes: ['rosters:Read'] }, OPERATOR_CONTEXT);
  await server.services.clients.create(otherOrgId, { name: 'Second org client', scopes: ['payroll:Read'] }, OPERATOR_CONTEXT);
});
afterAll(async () => {
  for (const ui of pages) await ui.close();
  await browser?.close();
  await server?.stop();
});

async function signedIn(role: 'admin' | 'developer' | 'member', canManageCredentials = false, email?: string) {
  const user = await addUser(server, orgId, role, { canManageCredentials, ...(email ? { email } : {}) });
  const ui = await openConsole(browser, server);
  pages.push(ui);
  await signInThroughConsole(ui.page, user.email, user.password);
  await ui.page.getByRole('row', { name: /Warehouse loader/ }).waitFor();
  return { ui, page: ui.page, user };
}

/** Rows of a table matching `where` (PostgreSQL answers count(*) as a string). */
const countOf = async (table: string, where: Record<string, string>) => Number((await server.db.knex(table).where(where).count({ n: '*' }))[0]?.n);

/** What the API page and navigation offer, as text, for whole-state assertions. */
async function offered(page: Page) {
  return {
    nav: await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts(),
    viewDocs: await page.getByRole('link', { name: 'View Docs' }).count(),
    postman: await page.getByRole('button', { name: 'Run in Postman' }).count(),
    addNew: await page.getByRole('button', { name: 'Add New' }).count(),
    dangerZone: await page.getByRole('heading', { name: 'Danger zone' }).count(),
    tables: await page.getByRole('table').count(),
  };
}

/** Calls the API from the page itself, with the session's cookie and CSRF token. */
async function apiFromPage(page: Page, method: string, path: string, body: unknown) {
  return page.evaluate(
    async ({ method, path, body }) => {
      const me = await (await fetch('/v1/me')).json();
      const response = await fetch(path, {
        method,
        headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrf_token },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: await response.json() };
    },
    { method, path, body },
  );
}

async function expectReadOnlyPanel(page: Page, row: RegExp, title: string, why: string) {
  await page.getByRole('row', { name: row }).click();
  const panel = page.getByRole('dialog', { name: title });
  await panel.getByText(why).first().waitFor();
  for (const input of await panel.locator('input, textarea').all()) expect(await input.isDisabled()).toBe(true);
  expect(await panel.getByRole('button', { name: 'Update' }).isDisabled()).toBe(true);
  expect(await panel.getByRole('button', { name: 'Delete' }).isDisabled()).toBe(true);
  expect(await panel.locator(`[title='${why}']`).count()).toBeGreaterThanOrEqual(2);
  await page.keyboard.press('Escape');
  await panel.waitFor({ state: 'detached' });
}

describe('a member without credential rights', () => {
  it('sees the banner and the tables only; slide-overs open read-only with the reason; the API refuses a create', async () => {
    const { ui, page } = await signedIn('member');
    expect(await offered(page)).toEqual({ nav: ['API', 'Usage'], viewDocs: 0, postman: 0, addNew: 0, dangerZone: 0, tables: 2 });
    await page.getByRole('heading', { name: 'Configure your API' }).waitFor();
    await ui.screenshot('20-member-api-page');
    await expectReadOnlyPanel(page, /Warehouse loader/, 'Warehouse loader', WHY_CLIENTS);
    await expectReadOnlyPanel(page, /Kiosk/, 'Kiosk', WHY_TOKENS);

    // The audit log and members screens are not offered, and typing their address shows the API page.
    await page.goto('/console/audit');
    await page.getByRole('heading', { name: 'API', exact: true, level: 1 }).waitFor();

    // Hiding is not the protection: the API refuses.
    expect(await apiFromPage(page, 'POST', `/v1/orgs/${orgId}/restricted-tokens`, { name: 'x', allowed_ips: ['192.0.2.1'], scopes: ['rosters:Read'] })).toEqual({
      status: 403,
      body: { error: 'forbidden', error_description: 'the member role does not allow this (tokens:write)' },
    });
    expect(await countOf('restricted_tokens', { org_id: orgId })).toBe(1);
    expect(ui.problems).toEqual([]);
  });
});

describe('a member with can_manage_credentials', () => {
  it('may create and edit restricted tokens but only look at API clients', async () => {
    const { ui, page } = await signedIn('member', true);
    expect(await offered(page)).toEqual({ nav: ['API', 'Usage'], viewDocs: 1, postman: 1, addNew: 1, dangerZone: 0, tables: 2 });

    await page.getByRole('button', { name: 'Add New' }).click();
    const clientItem = page.getByRole('menuitem', { name: /API Client/ });
    expect(await clientItem.getAttribute('aria-disabled')).toBe('true');
    expect(await clientItem.getAttribute('title')).toBe(WHY_CLIENTS);
    await ui.screenshot('21-member-with-credentials-menu');
    await clientItem.click({ force: true }); // does nothing
    expect(await page.getByRole('dialog').count()).toBe(0);

    await page.getByRole('menuitem', { name: /Restricted Access Token/ }).click();
    const panel = page.getByRole('dialog', { name: 'Add Restricted Access Token' });
    await panel.getByLabel('Token Name').fill('Front desk');
    await panel.getByLabel('Allowed IP Addresses').fill('192.0.2.10');
    await panel.getByLabel(/employees:Read/).check();
    await panel.getByRole('button', { name: 'Add' }).click();
    const modal = page.getByRole('dialog', { name: 'Restricted Access Token Created' });
    await modal.getByLabel('I have copied it and stored it somewhere safe').check();
    await modal.getByRole('button', { name: 'Ok', exact: true }).click();
    await page.getByRole('row', { name: /Front desk/ }).waitFor();

    // Edit the existing token's IPs.
    await page.getByRole('row', { name: /Kiosk/ }).click();
    const edit = page.getByRole('dialog', { name: 'Kiosk' });
    await edit.getByLabel('Allowed IP Addresses').fill('198.51.100.4, 198.51.100.5');
    await edit.getByRole('button', { name: 'Update' }).click();
    await page.getByText('Restricted access token "Kiosk" updated.').waitFor();

    const tokens = await server.db.knex('restricted_tokens').where({ org_id: orgId }).whereNull('deleted_at').orderBy('name');
    expect(tokens.map((t: { name: string; allowed_ips: string[]; scopes: string[] }) => [t.name, t.allowed_ips.map(String), t.scopes])).toEqual([
      ['Front desk', ['192.0.2.10'], ['employees:Read']],
      ['Kiosk', ['198.51.100.4', '198.51.100.5'], ['rosters:Read']],
    ]);

    await expectReadOnlyPanel(page, /Warehouse loader/, 'Warehouse loader', WHY_CLIENTS);
    expect(await apiFromPage(page, 'POST', `/v1/orgs/${orgId}/clients`, { name: 'x', scopes: ['payroll:Read'] })).toEqual({
      status: 403,
      body: { error: 'forbidden', error_description: 'the member role does not allow this (clients:write)' },
    });
    expect(ui.problems).toEqual([]);
  });
});

describe('a developer', () => {
  it('creates API clients and reads the audit log, without members or revoke-all', async () => {
    const { ui, page } = await signedIn('developer');
    expect(await offered(page)).toEqual({ nav: ['API', 'Usage', 'Audit log'], viewDocs: 1, postman: 1, addNew: 1, dangerZone: 0, tables: 2 });
    await page.getByRole('button', { name: 'Add New' }).click();
    expect(await page.getByRole('menuitem', { name: /API Client/ }).getAttribute('aria-disabled')).toBe('false');
    await page.getByRole('menuitem', { name: /API Client/ }).click();
    const panel = page.getByRole('dialog', { name: 'Add API Client' });
    await panel.getByLabel('Client Name').fill('Roster sync');
    await panel.getByLabel(/rosters:Read/).check();
    await panel.getByRole('button', { name: 'Add' }).click();
    const modal = page.getByRole('dialog', { name: 'API Client Created' });
    await modal.getByLabel('I have copied it and stored it somewhere safe').check();
    await modal.getByRole('button', { name: 'Ok', exact: true }).click();
    await page.getByRole('row', { name: /Roster sync/ }).waitFor();
    expect(await countOf('api_clients', { org_id: orgId, name: 'Roster sync' })).toBe(1);

    expect(await apiFromPage(page, 'POST', `/v1/orgs/${orgId}/revoke-all`, { confirm: 'Roles Org' })).toEqual({
      status: 403,
      body: { error: 'forbidden', error_description: 'the developer role does not allow this (org:revoke-all)' },
    });
    await page.goto('/console/members');
    await page.getByRole('heading', { name: 'API', exact: true, level: 1 }).waitFor();
    expect(ui.problems).toEqual([]);
  });
});

describe('an admin in two organizations', () => {
  it('has every control, and the organization switcher shows the other organization with the role held there', async () => {
    const { ui, page, user } = await signedIn('admin');
    expect(await offered(page)).toEqual({ nav: ['API', 'Usage', 'Audit log', 'Members'], viewDocs: 1, postman: 1, addNew: 1, dangerZone: 1, tables: 2 });

    await server.services.members.add(otherOrgId, { email: user.email, role: 'member' }, OPERATOR_CONTEXT);
    await page.reload();
    const switcher = page.getByRole('combobox', { name: 'Organization' });
    await switcher.waitFor();
    expect(await switcher.locator('option').allInnerTexts()).toEqual(['Roles Org', 'Second Org']);
    await switcher.selectOption({ label: 'Second Org' });
    await page.getByRole('row', { name: /Second org client/ }).waitFor();
    expect(await page.getByRole('row', { name: /Warehouse loader/ }).count()).toBe(0);
    expect(await offered(page)).toEqual({ nav: ['API', 'Usage'], viewDocs: 0, postman: 0, addNew: 0, dangerZone: 0, tables: 1 });
    await ui.screenshot('22-org-switcher');
    // The choice survives a reload.
    await page.reload();
    await page.getByRole('row', { name: /Second org client/ }).waitFor();
    await switcher.selectOption({ label: 'Roles Org' });
    await page.getByRole('row', { name: /Warehouse loader/ }).waitFor();
    expect(ui.problems).toEqual([]);
  });
});
