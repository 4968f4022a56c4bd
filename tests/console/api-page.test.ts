/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The web console's API page in a real browser (Debian Chromium, headless): an administrator signs
// in, creates an API client and reads its secret once, uses it at the token endpoint, edits,
// rotates, disables and deletes it, creates a restricted token, and revokes everything.
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type * as oauth from 'oauth4webapi';
import type { Browser } from 'playwright-core';
import { projectRoot } from '../../config/index.js';
import { orgWithAdmin, type SignedIn } from '../helpers/api.js';
import { launchBrowser, openConsole, signInThroughConsole, type ConsolePage } from '../helpers/browser.js';
import { basic, discover, postToken, requestToken, verifyAccessToken } from '../helpers/oauth.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let browser: Browser;
let as: oauth.AuthorizationServer;
let ui: ConsolePage;
let session: SignedIn;
let orgId: string;
let admin: { email: string; password: string; userId: string };
const ORG_NAME = 'Acme Payroll';

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  as = await discover(server.issuer);
  const setup = await orgWithAdmin(server, ORG_NAME);
  orgId = setup.org.id;
  admin = setup.admin;
  session = setup.session;
  ui = await openConsole(browser, server);
});
afterAll(async () => {
  await ui?.close();
  await browser?.close();
  await server?.stop();
});

const tokenStatus = async (clientId: string, secret: string) =>
  (await postToken(server.url, 'grant_type=client_credentials', { authorization: basic(clientId, secret) })).status;

const clientRows = () => server.db.knex('api_clients').where({ org_id: orgId }).orderBy('created_at');
const auditActions = async () => (await server.db.knex('audit_events').where({ org_id: orgId }).orderBy('at')).map((row: { action: string }) => row.action);

/** Everything the page holds that could leak a secret: markup, visible text, form values, storage. */
async function pageHolds(value: string): Promise<boolean> {
  const { page } = ui;
  const everything = await page.evaluate(() =>
    [
      document.documentElement.outerHTML,
      document.body.innerText,
      ...[...document.querySelectorAll('input, textarea')].map((element) => (element as HTMLInputElement).value),
      JSON.stringify({ ...window.localStorage }),
      JSON.stringify({ ...window.sessionStorage }),
      document.title,
      window.location.href,
    ].join('\n'),
  );
  return everything.includes(value);
}

let clientId: string;
let clientSecret: string;
let rotatedSecret: string;

describe('the console API page, as an organization admin', () => {
  it('answers /console with the built app under a strict Content-Security-Policy, and /console/<screen> with the same app', async () => {
    const response = await fetch(`${server.url}/console/`);
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp.split(';').map((d) => d.trim())).toEqual(
      expect.arrayContaining(["default-src 'self'", "script-src 'self'", "style-src 'self'", "font-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]),
    );
    const html = await response.text();
    expect(html).toContain('<div id="root"></div>');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    expect(html).not.toMatch(/https?:\/\//); // nothing from another host
    const deep = await fetch(`${server.url}/console/audit`);
    expect(deep.status).toBe(200);
    expect(await deep.text()).toBe(html);
    const missing = await fetch(`${server.url}/console/assets/nope.js`);
    expect(missing.status).toBe(404);
  });

  it('signs in with email and password and shows the banner, with no credential tables while there are none', async () => {
    const { page } = ui;
    await page.goto('/console/');
    await page.getByRole('heading', { name: 'Sign in to Latchkey' }).waitFor();
    await ui.screenshot('01-sign-in');
    // A wrong password is refused with the API's message, and the typed email stays.
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('the email or password is incorrect').waitFor();
    expect(await page.getByLabel('Email').inputValue()).toBe(admin.email);

    await signInThroughConsole(page, admin.email, admin.password);
    await page.getByRole('heading', { name: 'Configure your API' }).waitFor();
    expect(await page.locator('.banner').innerText()).toMatch(/API Client.*backend.*Restricted Access Tokens.*browser-only apps/s);
    await page.getByText('No credentials yet.').waitFor();
    expect(await page.getByRole('table').count()).toBe(0);
    expect(await page.getByRole('link', { name: 'View Docs' }).getAttribute('href')).toBe('/console/docs');
    await page.getByRole('button', { name: 'Run in Postman' }).waitFor();
    await ui.screenshot('02-api-page-empty');
  });

  it('creates an API client: inline validation, the API\'s field errors next to the field, then the secret shown once', async () => {
    const { page } = ui;
    await page.getByRole('button', { name: 'Add New' }).click();
    await page.getByRole('menuitem', { name: /API Client/ }).click();
    const panel = page.getByRole('dialog', { name: 'Add API Client' });
    await panel.waitFor();

    // Nothing filled: the console's own checks, before any request.
    await panel.getByRole('button', { name: 'Add' }).click();
    await panel.getByText('must not be empty').waitFor();
    await panel.getByText('must hold at least one scope').waitFor();
    expect(await clientRows()).toEqual([]);

    await panel.getByLabel('Client Name').fill('Payroll export');
    await panel.getByLabel('Description').fill('Nightly export to the warehouse');
    await panel.getByLabel('Allowed Origins').fill('http://app.example.com');
    await panel.getByLabel(/payroll:Read/).check();
    await panel.getByLabel(/employees:Read/).check();
    await panel.getByRole('button', { name: 'Add' }).click();
    await panel.getByText('entry 1: "http://app.example.com" must use https (http is allowed for localhost only)').waitFor();

    // Two spellings of one origin pass the console's check; the API refuses the second, and its
    // message lands under Allowed Origins with everything typed still in place.
    await panel.getByLabel('Allowed Origins').fill('https://app.acme.example, HTTPS://App.Acme.example:443');
    await panel.getByRole('button', { name: 'Add' }).click();
    await panel.getByText('entry 2: duplicates https://app.acme.example').waitFor();
    expect(await panel.getByLabel('Allowed Origins').getAttribute('aria-invalid')).toBe('true');
    expect(await panel.getByLabel('Client Name').inputValue()).toBe('Payroll export');
    expect(await panel.getByLabel(/payroll:Read/).isChecked()).toBe(true);
    expect(await clientRows()).toEqual([]);
    await ui.screenshot('03-create-client-errors');

    await panel.getByLabel('Allowed Origins').fill('https://app.acme.example, http://localhost:5173');
    await panel.getByRole('button', { name: 'Add' }).click();

    const modal = page.getByRole('dialog', { name: 'API Client Created' });
    await modal.waitFor();
    const values = await modal.locator('code').allInnerTexts();
    [clientId, clientSecret] = values as [string, string];
    expect(clientId).toMatch(/^lkc_/);
    expect(clientSecret).toMatch(/^lks_/);
    expect(await modal.innerText()).toContain('This is the only time it is shown.');
    await modal.getByRole('button', { name: 'Copy Client Secret' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(clientSecret);
    await ui.screenshot('04-secret-modal');

    // Ok stays disabled until the administrator acknowledges, and Escape does not close it.
    expect(await modal.getByRole('button', { name: 'Ok', exact: true }).isDisabled()).toBe(true);
    await page.keyboard.press('Escape');
    expect(await modal.isVisible()).toBe(true);
    await modal.getByLabel('I have copied it and stored it somewhere safe').check();
    await modal.getByRole('button', { name: 'Ok', exact: true }).click();
    await modal.waitFor({ state: 'detached' });

    // Gone from the page for good: only the last four characters remain.
    expect(await pageHolds(clientSecret)).toBe(false);
    const row = page.getByRole('row', { name: /Payroll export/ });
    expect(await row.locator('td').allInnerTexts()).toEqual([
      'Payroll export',
      'Nightly export to the warehouse',
      expect.stringContaining(clientId),
      `••••${clientSecret.slice(-4)}`,
      'https://app.acme.example\nhttp://localhost:5173',
      'active',
      'Never',
      'Never',
    ]);
    await page.reload();
    await page.getByRole('row', { name: /Payroll export/ }).waitFor();
    expect(await pageHolds(clientSecret)).toBe(false);

    const rows = await clientRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      client_id: clientId,
      name: 'Payroll export',
      description: 'Nightly export to the warehouse',
      allowed_origins: ['https://app.acme.example', 'http://localhost:5173'],
      scopes: ['payroll:Read', 'employees:Read'],
      status: 'active',
      secret_last4: clientSecret.slice(-4),
      created_by: { type: 'user', id: admin.userId, name: admin.email },
    });
    expect(rows[0].secret_hash).toMatch(/^\$2[aby]\$/);
  });

  it('the secret read from the modal works at the token endpoint', async () => {
    const token = await requestToken(as, { client_id: clientId, client_secret: clientSecret });
    const { payload } = await verifyAccessToken(as, token.access_token);
    expect(payload).toMatchObject({
      client_id: clientId,
      sub: clientId,
      org_id: orgId,
      scope: 'employees:Read payroll:Read',
      allowed_origins: ['https://app.acme.example', 'http://localhost:5173'],
    });
  });

  it('copies the Client ID from the table with a click', async () => {
    const { page } = ui;
    await page.getByRole('button', { name: 'Copy Client ID of Payroll export' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(clientId);
    // The copy did not open the row's slide-over.
    expect(await page.getByRole('dialog').count()).toBe(0);
  });

  it('edits the allowed origins in the slide-over, opened from the keyboard', async () => {
    const { page } = ui;
    await page.getByRole('row', { name: /Payroll export/ }).focus();
    await page.keyboard.press('Enter');
    const panel = page.getByRole('dialog', { name: 'Payroll export' });
    await panel.waitFor();
    expect(await panel.getByLabel('Allowed Origins').inputValue()).toBe('https://app.acme.example, http://localhost:5173');
    expect(await panel.getByLabel('Client Name').inputValue()).toBe('Payroll export');
    await ui.screenshot('05-edit-client');
    await panel.getByLabel('Allowed Origins').fill('https://app.acme.example, https://admin.acme.example');
    await panel.getByRole('button', { name: 'Update' }).click();
    await page.getByText('API client "Payroll export" updated.').waitFor();
    await panel.waitFor({ state: 'detached' });
    await page.getByRole('row', { name: /admin\.acme\.example/ }).waitFor();

    const [row] = await clientRows();
    expect(row.allowed_origins).toEqual(['https://app.acme.example', 'https://admin.acme.example']);
    const event = await server.db.knex('audit_events').where({ org_id: orgId, action: 'api_client.updated' }).first();
    expect(event.metadata).toEqual({
      changes: { allowed_origins: { from: ['https://app.acme.example', 'http://localhost:5173'], to: ['https://app.acme.example', 'https://admin.acme.example'] } },
    });
    const token = await requestToken(as, { client_id: clientId, client_secret: clientSecret });
    expect((await verifyAccessToken(as, token.access_token)).payload.allowed_origins).toEqual(['https://app.acme.example', 'https://admin.acme.example']);
  });

  it('rotates the secret with a grace period: a confirm modal naming the client, the new secret once, the old one still working', async () => {
    const { page } = ui;
    await page.getByRole('row', { name: /Payroll export/ }).click();
    const panel = page.getByRole('dialog', { name: 'Payroll export' });
    await panel.getByLabel('Grace period for the old secret').selectOption({ label: '1 hour' });
    await panel.getByRole('button', { name: 'Rotate secret' }).click();
    const confirm = page.getByRole('dialog', { name: 'Rotate the secret?' });
    expect(await confirm.innerText()).toContain(`Payroll export (${clientId})`);
    expect(await confirm.innerText()).toContain('keeps working for 1 hour');
    await confirm.getByRole('button', { name: 'Rotate secret' }).click();

    const modal = page.getByRole('dialog', { name: 'Client Secret Rotated' });
    await modal.waitFor();
    rotatedSecret = await modal.getByTestId('secret-value').innerText();
    expect(rotatedSecret).toMatch(/^lks_/);
    expect(rotatedSecret).not.toBe(clientSecret);
    expect(await modal.innerText()).toMatch(/previous secret keeps working until/);
    await modal.getByLabel('I have copied it and stored it somewhere safe').check();
    await modal.getByRole('button', { name: 'Ok', exact: true }).click();
    await modal.waitFor({ state: 'detached' });
    expect(await pageHolds(rotatedSecret)).toBe(false);
    await page.getByRole('row', { name: new RegExp(`••••${rotatedSecret.slice(-4)}`) }).waitFor();

    expect(await tokenStatus(clientId, rotatedSecret)).toBe(200);
    expect(await tokenStatus(clientId, clientSecret)).toBe(200); // within the grace period
    const event = await server.db.knex('audit_events').where({ org_id: orgId, action: 'api_client.secret_rotated' }).first();
    expect(event.metadata).toMatchObject({ grace_period_seconds: 3600, previous_secret_last4: clientSecret.slice(-4) });
  });

  it('creates a restricted token with IPs, offering only restricted scopes, and shows the token once', async () => {
    const { page } = ui;
    await page.getByRole('button', { name: 'Add New' }).click();
    await page.getByRole('menuitem', { name: /Restricted Access Token/ }).click();
    const panel = page.getByRole('dialog', { name: 'Add Restricted Access Token' });
    const offered = await panel.locator('.scope code').allInnerTexts();
    expect(offered).toEqual(['employees:Read', 'rosters:Read', 'reports:Read']);
    await panel.getByLabel('Token Name').fill('Partner portal');
    await panel.getByLabel('Allowed IP Addresses').fill('203.0.113.7, 0.0.0.0/0');
    await panel.getByLabel(/rosters:Read/).check();
    await panel.getByRole('button', { name: 'Add' }).click();
    await panel.getByText('entry 2: "0.0.0.0/0" allows every address: list the addresses that may use the token').waitFor();
    await panel.getByLabel('Allowed IP Addresses').fill('203.0.113.7, 10.1.2.3/8');
    await ui.screenshot('06-create-token');
    await panel.getByRole('button', { name: 'Add' }).click();

    const modal = page.getByRole('dialog', { name: 'Restricted Access Token Created' });
    const token = await modal.getByTestId('secret-value').innerText();
    expect(token).toMatch(/^lkr_/);
    await modal.getByLabel('I have copied it and stored it somewhere safe').check();
    await modal.getByRole('button', { name: 'Ok', exact: true }).click();
    await modal.waitFor({ state: 'detached' });
    expect(await pageHolds(token)).toBe(false);

    const row = page.getByRole('row', { name: /Partner portal/ });
    expect(await row.locator('td').allInnerTexts()).toEqual(['Partner portal', `••••${token.slice(-4)}`, '203.0.113.7\n10.0.0.0/8', 'Never', 'Never']);
    const tokens = await server.db.knex('restricted_tokens').where({ org_id: orgId });
    expect(tokens).toHaveLength(1);
    expect(tokens[0]).toMatchObject({ name: 'Partner portal', scopes: ['rosters:Read'], token_last4: token.slice(-4) });
    expect(tokens[0].allowed_ips.map(String)).toEqual(['203.0.113.7', '10.0.0.0/8']);
    await ui.screenshot('07-api-page');
    // UPDATE_README_SCREENSHOT=1 refreshes the README's picture of this page.
    if (process.env.UPDATE_README_SCREENSHOT) {
      mkdirSync(path.join(projectRoot, 'docs'), { recursive: true });
      copyFileSync(path.join(projectRoot, 'tests/artifacts/console/07-api-page.png'), path.join(projectRoot, 'docs/console-api-page.png'));
    }
  });

  it('disables the client after a confirm modal that names it; the secret stops working', async () => {
    const { page } = ui;
    await page.getByRole('row', { name: /Payroll export/ }).click();
    const panel = page.getByRole('dialog', { name: 'Payroll export' });
    await panel.getByRole('button', { name: 'Disable' }).click();
    const confirm = page.getByRole('dialog', { name: 'Disable the API client?' });
    expect(await confirm.innerText()).toContain(`Payroll export (${clientId}) will stop obtaining tokens at once`);
    await ui.screenshot('08-confirm-disable');
    await confirm.getByRole('button', { name: 'Disable' }).click();
    await page.getByText('API client "Payroll export" disabled.').waitFor();
    const row = page.getByRole('row', { name: /Payroll export/ });
    expect(await row.locator('.status').innerText()).toBe('disabled');
    expect(await row.locator('.status').getAttribute('class')).toContain('status-inactive');
    expect((await clientRows())[0].status).toBe('disabled');
    expect(await tokenStatus(clientId, rotatedSecret)).toBe(401);
    expect(await tokenStatus(clientId, clientSecret)).toBe(401);
    // A disabled client can no longer be disabled or rotated; the buttons say why.
    await row.click();
    const again = page.getByRole('dialog', { name: 'Payroll export' });
    expect(await again.getByRole('button', { name: 'Disable' }).isDisabled()).toBe(true);
    expect(await again.getByTitle('This API client is already disabled.').count()).toBe(1);
    await page.keyboard.press('Escape');
    await again.waitFor({ state: 'detached' });
  });

  it('deletes the client after a confirm modal; the API Clients table disappears with its last row', async () => {
    const { page } = ui;
    await page.getByRole('row', { name: /Payroll export/ }).click();
    await page.getByRole('dialog', { name: 'Payroll export' }).getByRole('button', { name: 'Delete' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete the API client?' });
    expect(await confirm.innerText()).toContain(`Payroll export (${clientId}) will be removed at once`);
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('API client "Payroll export" deleted.').waitFor();
    expect(await page.getByRole('heading', { name: 'API Clients' }).count()).toBe(0);
    expect(await page.getByRole('heading', { name: 'Restricted Access Tokens' }).count()).toBe(1);
    expect((await clientRows())[0].deleted_at).not.toBeNull();
    expect((await session.request('GET', `/v1/orgs/${orgId}/clients/${clientId}`)).status).toBe(404);
    expect(await auditActions()).toEqual(
      expect.arrayContaining(['api_client.created', 'api_client.updated', 'api_client.secret_rotated', 'api_client.disabled', 'api_client.deleted', 'restricted_token.created']),
    );
  });

  it('sorts the tables by name, case-insensitively', async () => {
    const { page } = ui;
    for (const name of ['zeta sync', 'Alpha loader', 'beta export']) {
      expect((await session.request('POST', `/v1/orgs/${orgId}/clients`, { name, scopes: ['rosters:Read'] })).status).toBe(201);
    }
    await page.reload();
    await page.getByRole('heading', { name: 'API Clients' }).waitFor();
    expect(await page.locator('section[aria-labelledby="clients-title"] tbody .name-cell').allInnerTexts()).toEqual(['Alpha loader', 'beta export', 'zeta sync']);
  });

  it('revokes everything only once the organization\'s exact name is typed', async () => {
    const { page } = ui;
    await page.getByRole('button', { name: 'Revoke all…' }).click();
    const modal = page.getByRole('dialog', { name: `Revoke all credentials of ${ORG_NAME}?` });
    const confirm = modal.getByRole('button', { name: 'Revoke all credentials' });
    expect(await confirm.isDisabled()).toBe(true);
    await modal.getByLabel(/Type the organization's name/).fill(ORG_NAME.toLowerCase());
    expect(await confirm.isDisabled()).toBe(true);
    await modal.getByLabel(/Type the organization's name/).fill(ORG_NAME);
    await ui.screenshot('09-revoke-all');
    await confirm.click();
    await page.getByText('Revoked: 3 API client(s) disabled, 1 restricted token(s) deleted.').waitFor();

    const statuses = (await clientRows()).filter((row: { deleted_at: unknown }) => row.deleted_at === null).map((row: { status: string }) => row.status);
    expect(statuses).toEqual(['disabled', 'disabled', 'disabled']);
    expect(await server.db.knex('restricted_tokens').where({ org_id: orgId }).whereNull('deleted_at')).toEqual([]);
    expect(await page.getByRole('heading', { name: 'Restricted Access Tokens' }).count()).toBe(0);
    expect(await page.locator('.status').allInnerTexts()).toEqual(['disabled', 'disabled', 'disabled']);
    const event = await server.db.knex('audit_events').where({ org_id: orgId, action: 'org.revoke_all' }).first();
    expect(event.actor_id).toBe(admin.userId);
  });

  it('is readable at 375 px wide: nothing but the tables scrolls sideways', async () => {
    const { page } = ui;
    await page.setViewportSize({ width: 375, height: 800 });
    await page.reload();
    await page.getByRole('heading', { name: 'API Clients' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await ui.screenshot('10-api-page-375px');
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it('signs out', async () => {
    const { page } = ui;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Latchkey' }).waitFor();
    expect(await server.db.knex('audit_events').where({ org_id: orgId, action: 'user.logout' })).toHaveLength(1);
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in to Latchkey' }).waitFor();
  });

  it('logged no console error, page error or failed request on the way', () => {
    expect(ui.problems).toEqual([]);
    // The only refusals were the ones provoked: the wrong password and the duplicate origin.
    expect(ui.httpErrors).toEqual(['401 POST /v1/auth/login', `400 POST /v1/orgs/${orgId}/clients`]);
  });
});
