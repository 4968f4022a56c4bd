/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Usage in the console, in a real browser: real token requests (issued and refused for a wrong
// secret) and restricted-token introspections, flushed into the usage buckets, then read back as
// the slide-overs' usage sections, the organization overview, a credential's usage page and the
// API logs; the hourly/daily toggle, tooltips by mouse and keyboard, another time zone, 375 px,
// and what each role sees.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { projectRoot } from '../../config/index.js';
import { addUser, orgWithAdmin, type SignedIn } from '../helpers/api.js';
import { eventually, launchBrowser, openConsole, signInThroughConsole, type ConsolePage } from '../helpers/browser.js';
import { basic, postToken } from '../helpers/oauth.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { OPERATOR_CONTEXT } from '../../server/shared/actor.js';
import { emptyHistogram } from '../../server/usage/histogram.js';

let server: TestServer;
let browser: Browser;
let ui: ConsolePage;
let page: Page;
let session: SignedIn;
let orgId: string;
let admin: { email: string; password: string };
let rs: { client_id: string; client_secret: string };
let payroll: { id: string; client_id: string; client_secret: string };
let roster: { id: string; client_id: string; client_secret: string };
let kiosk: { id: string; token: string };
/** When the traffic was made: the hour and UTC day the figures land in. */
let trafficAt: number;

const HOUR = 3_600_000;
const DAY = 86_400_000;
const grant = 'grant_type=client_credentials';

async function introspect(token: string, clientIp?: string) {
  const response = await fetch(`${server.url}/oauth/introspect`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(rs.client_id, rs.client_secret) },
    body: new URLSearchParams({ token, ...(clientIp ? { client_ip: clientIp } : {}) }).toString(),
  });
  return (await response.json()) as Record<string, unknown>;
}

const tokenStatus = async (clientId: string, secret: string) => (await postToken(server.url, grant, { authorization: basic(clientId, secret) })).status;

/**
 * The figures are asserted for the hour (and UTC day) the traffic is made in, and the API's window
 * ends with the current hour: the file runs well clear of the next hour boundary, waiting for it
 * to pass if it is near.
 */
async function clearOfHourBoundary(marginMs: number) {
  const left = HOUR - (Date.now() % HOUR);
  if (left < marginMs) await new Promise((resolve) => setTimeout(resolve, left + 1000));
}

beforeAll(async () => {
  await clearOfHourBoundary(150_000);
  // Counts are written when a test says so (flushUsage), not at random moments of a timer.
  [server, browser] = await Promise.all([startTestServer({ env: { USAGE_FLUSH_INTERVAL_MS: '60000' } }), launchBrowser()]);
  rs = await server.services.resourceServers.create({ name: 'Payroll API' }, OPERATOR_CONTEXT);
  const setup = await orgWithAdmin(server, 'Usage Org');
  orgId = setup.org.id;
  admin = setup.admin;
  session = setup.session;
  const create = async (path: string, body: Record<string, unknown>) => {
    const response = await session.request('POST', `/v1/orgs/${orgId}/${path}`, body);
    expect(response.status).toBe(201);
    return response.body;
  };
  payroll = await create('clients', { name: 'Payroll export', scopes: ['payroll:Read'] });
  roster = await create('clients', { name: 'Roster sync', scopes: ['rosters:Read'] });
  await create('clients', { name: 'Idle client', scopes: ['rosters:Read'] });
  kiosk = await create('restricted-tokens', { name: 'Kiosk', allowed_ips: ['203.0.113.0/24'], scopes: ['employees:Read'] });

  trafficAt = Date.now();
  // Payroll export: 5 tokens issued, 3 refused for a wrong secret, 1 of its tokens introspected.
  let accessToken = '';
  for (let i = 0; i < 5; i += 1) {
    const response = await postToken(server.url, grant, { authorization: basic(payroll.client_id, payroll.client_secret) });
    expect(response.status).toBe(200);
    accessToken = (response.body as { access_token: string }).access_token;
  }
  for (let i = 0; i < 3; i += 1) expect(await tokenStatus(payroll.client_id, 'lks_wrong-secret')).toBe(401);
  expect((await introspect(accessToken)).active).toBe(true);
  // Roster sync: 2 tokens issued.
  for (let i = 0; i < 2; i += 1) expect(await tokenStatus(roster.client_id, roster.client_secret)).toBe(200);
  // Kiosk: introspected twice from an allowed address, once from outside its allow-list.
  expect((await introspect(kiosk.token, '203.0.113.7')).client_ip_allowed).toBe(true);
  expect((await introspect(kiosk.token, '203.0.113.8')).client_ip_allowed).toBe(true);
  expect((await introspect(kiosk.token, '198.51.100.1')).client_ip_allowed).toBe(false);
  await server.flushUsage();

  ui = await openConsole(browser, server);
  page = ui.page;
  await signInThroughConsole(page, admin.email, admin.password);
}, 240_000);
afterAll(async () => {
  await ui?.close();
  await browser?.close();
  await server?.stop();
});

/** The names the console gives an hour and a UTC day, in en-GB, in a time zone. */
function hourName(at: number, timeZone = 'UTC', offsetMinutes = 0) {
  const start = Math.floor(at / HOUR) * HOUR;
  const day = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', timeZone }).format(start);
  const clock = (instant: number) => {
    const local = new Date(instant + offsetMinutes * 60_000);
    return `${String(local.getUTCHours()).padStart(2, '0')}:${String(local.getUTCMinutes()).padStart(2, '0')}`;
  };
  return `${day}, ${clock(start)}–${clock(start + HOUR)}`;
}
const dayName = (at: number) => new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' }).format(at);

/** The totals of a usage report: requests, successes, failures (with the rate), latency. */
async function stats(scope: Locator) {
  const read = async (name: string) => (await scope.locator(`dd[data-stat="${name}"]`).innerText()).trim();
  return { requests: await read('requests'), successes: await read('successes'), failures: await read('failures') };
}

/** The chart's table, opened: one array of cell texts per row, newest first. */
async function tableRows(scope: Locator): Promise<string[][]> {
  const details = scope.locator('details.usage-table');
  if ((await details.getAttribute('open')) === null) await details.locator('summary').click();
  return details.locator('tbody tr').evaluateAll((rows) => rows.map((row) => [...row.children].map((cell) => (cell as HTMLElement).innerText.trim())));
}

const latency = expect.stringMatching(/^\d+(\.\d)? m?s$/);
const zeroRow = (name: string) => [name, '0', '0', '0', '—', '—', '—', '—'];

async function openRow(name: string) {
  await page.getByRole('row', { name: new RegExp(name) }).first().click();
  const panel = page.getByRole('dialog', { name });
  await panel.getByRole('heading', { name: 'Usage', level: 3 }).waitFor();
  return panel;
}

async function closePanel(panel: Locator) {
  await page.keyboard.press('Escape');
  await panel.waitFor({ state: 'detached' });
}

describe('usage in a credential\'s slide-over', () => {
  it('shows an API client\'s totals, the current hour\'s figures in the table, the failure reasons and the split by endpoint', async () => {
    const panel = await openRow('Payroll export');
    const usage = panel.locator('section.usage');
    await usage.locator('dd[data-stat="requests"]').waitFor();
    expect(await stats(usage)).toEqual({ requests: '9', successes: '6', failures: '3 33.3%' });
    expect(await usage.locator('dd[data-stat="latency"]').innerText()).toMatch(/^\d+(\.\d)? m?s \/ \d+(\.\d)? m?s$/);
    expect(await usage.getByText('Last 24 hours, by hour · times in your time zone (UTC)').count()).toBe(1);

    const rows = await tableRows(usage);
    expect(rows).toHaveLength(24);
    expect(rows[0]).toEqual([hourName(trafficAt), '9', '6', '3', '33.3%', 'invalid_client 3', latency, latency]);
    expect(rows.slice(1)).toEqual(Array.from({ length: 23 }, (_, i) => zeroRow(hourName(trafficAt - (i + 1) * HOUR))));
    // The same figures as the API, hour by hour.
    const api = (await session.request('GET', `/v1/orgs/${orgId}/clients/${payroll.id}/usage`)).body;
    expect(rows.map((row) => row.slice(1, 4).map(Number))).toEqual(
      [...api.series].reverse().map((point: { requests: number; successes: number; failures: number }) => [point.requests, point.successes, point.failures]),
    );

    const reasons = await panel.getByRole('table', { name: 'Failure reasons' }).locator('tbody tr').allInnerTexts();
    expect(reasons.map((row) => row.split('\t'))).toEqual([['invalid_client', '3', '100%', 'wrong secret, or a disabled, expired or deleted client']]);
    const endpoints = await panel.getByRole('table', { name: 'By endpoint' }).locator('tbody tr').allInnerTexts();
    expect(endpoints.map((row) => row.split('\t').slice(0, 4))).toEqual([
      ['Token endpoint', '8', '5', '3'],
      ['Introspection', '1', '1', '0'],
    ]);
    expect(await usage.getByRole('link', { name: 'Usage details and API logs →' }).getAttribute('href')).toBe(`/console/usage/clients/${payroll.id}`);
    await ui.screenshot('40-client-usage-slide-over');
  });

  it('names the chart with a summary and shows a tooltip on hover and on keyboard focus, moving with the arrow keys', async () => {
    const panel = page.getByRole('dialog', { name: 'Payroll export' });
    const chart = panel.getByRole('group', { name: /^Requests per hour\./ });
    expect(await chart.getAttribute('aria-label')).toBe(
      `Requests per hour. Last 24 hours, ${hourName(trafficAt - 23 * HOUR).split('–')[0]} to ${hourName(trafficAt + HOUR).split(',')[0]}, ${hourName(trafficAt).split('–')[1]}: ` +
        `9 requests, 6 successes, 3 failures. Busiest hour: ${hourName(trafficAt)}, 9 requests.`,
    );
    const bars = panel.locator('.chart-hit');
    expect(await bars.count()).toBe(24);
    const tooltip = panel.locator('.chart-tooltip');

    await bars.nth(23).hover();
    await tooltip.waitFor();
    expect((await tooltip.innerText()).split('\n').map((line) => line.trim()).filter(Boolean)).toEqual([
      hourName(trafficAt),
      'Requests',
      '9',
      'Successes',
      '6',
      'Failures',
      '3 (33.3%)',
      'invalid_client',
      '3',
      'Latency p50',
      latency,
      'Latency p95',
      latency,
    ]);
    await ui.screenshot('41-chart-tooltip-hover');
    await page.mouse.move(0, 0);
    await tooltip.waitFor({ state: 'detached' });

    // One tab stop for the whole chart, on the latest hour; arrows move between hours.
    expect(await panel.locator('.chart-hit[tabindex="0"]').count()).toBe(1);
    await panel.locator('.chart-hit[tabindex="0"]').focus();
    await tooltip.waitFor();
    const focusedLabel = () => page.evaluate(() => document.activeElement?.getAttribute('aria-label'));
    expect(await focusedLabel()).toBe(`${hourName(trafficAt)}: 9 requests, 6 successes, 3 failures (invalid_client 3)`);
    await page.keyboard.press('ArrowLeft');
    expect(await focusedLabel()).toBe(`${hourName(trafficAt - HOUR)}: 0 requests, 0 successes, 0 failures`);
    expect(await tooltip.innerText()).toContain(hourName(trafficAt - HOUR));
    await page.keyboard.press('Home');
    expect(await focusedLabel()).toBe(`${hourName(trafficAt - 23 * HOUR)}: 0 requests, 0 successes, 0 failures`);
    await page.keyboard.press('End');
    expect(await focusedLabel()).toContain(`${hourName(trafficAt)}: 9 requests`);
    await ui.screenshot('42-chart-tooltip-keyboard');
    // Escape hides the tooltip and leaves the slide-over open; the next Escape closes it.
    await page.keyboard.press('Escape');
    await tooltip.waitFor({ state: 'detached' });
    expect(await panel.isVisible()).toBe(true);
    await closePanel(panel);
  });

  it('switches to daily figures for the last 30 UTC days, earlier days included', async () => {
    // Traffic of three days ago cannot be made now: it is written into the buckets directly, as
    // an earlier flush would have (10 tokens issued in 2–5 ms).
    const earlier = Math.floor(trafficAt / DAY) * DAY - 3 * DAY + 9 * HOUR;
    await server.db.knex('usage_buckets').insert({
      org_id: orgId,
      credential_type: 'api_client',
      credential_id: payroll.client_id,
      bucket_start: new Date(earlier),
      endpoint: 'token',
      outcome: 'success',
      requests: 10,
      latency_histogram: emptyHistogram().map((_, slot) => (slot === 2 ? 10 : 0)),
    });
    const panel = await openRow('Payroll export');
    const usage = panel.locator('section.usage');
    await usage.locator('dd[data-stat="requests"]').waitFor();
    expect(await usage.getByRole('button', { name: 'Hourly' }).getAttribute('aria-pressed')).toBe('true');
    await usage.getByRole('button', { name: 'Daily' }).click();
    await usage.getByText('Requests per day', { exact: true }).waitFor();
    expect(await usage.getByRole('button', { name: 'Daily' }).getAttribute('aria-pressed')).toBe('true');
    expect(await usage.getByRole('button', { name: 'Hourly' }).getAttribute('aria-pressed')).toBe('false');
    expect(await stats(usage)).toEqual({ requests: '19', successes: '16', failures: '3 15.8%' });
    expect(await usage.getByText('Last 30 days, by UTC day · days run from 00:00 to 24:00 UTC').count()).toBe(1);

    const rows = await tableRows(usage);
    expect(rows).toHaveLength(30);
    expect(await usage.locator('details.usage-table thead th').first().innerText()).toBe('DAY (UTC)');
    expect(rows[0]).toEqual([dayName(trafficAt), '9', '6', '3', '33.3%', 'invalid_client 3', latency, latency]);
    expect(rows[3]).toEqual([dayName(earlier), '10', '10', '0', '0%', '—', latency, latency]);
    expect(rows.filter((row) => row[1] !== '0')).toHaveLength(2);
    expect(await panel.locator('.bar-success').count()).toBe(2);
    expect(await panel.locator('.bar-failure').count()).toBe(1);
    await ui.screenshot('43-client-usage-daily');

    await usage.getByRole('button', { name: 'Hourly' }).click();
    await usage.getByText('Requests per hour', { exact: true }).waitFor();
    expect(await stats(usage)).toEqual({ requests: '9', successes: '6', failures: '3 33.3%' });
    await closePanel(panel);
  });

  it('shows a restricted token\'s introspections, with the one from outside its allow-list as a failure', async () => {
    const panel = await openRow('Kiosk');
    const usage = panel.locator('section.usage');
    await usage.locator('dd[data-stat="requests"]').waitFor();
    expect(await stats(usage)).toEqual({ requests: '3', successes: '2', failures: '1 33.3%' });
    expect((await tableRows(usage))[0]).toEqual([hourName(trafficAt), '3', '2', '1', '33.3%', 'ip_not_allowed 1', latency, latency]);
    const reasons = await panel.getByRole('table', { name: 'Failure reasons' }).locator('tbody tr').allInnerTexts();
    expect(reasons.map((row) => row.split('\t'))).toEqual([['ip_not_allowed', '1', '100%', 'used from an IP address outside the allow-list']]);
    const endpoints = await panel.getByRole('table', { name: 'By endpoint' }).locator('tbody tr').allInnerTexts();
    expect(endpoints.map((row) => row.split('\t').slice(0, 4))).toEqual([['Introspection', '3', '2', '1']]);
    expect(await usage.getByRole('link', { name: 'Usage details and API logs →' }).getAttribute('href')).toBe(`/console/usage/restricted-tokens/${kiosk.id}`);
    await closePanel(panel);
  });

  it('says so when a credential had no traffic, hourly and daily', async () => {
    const panel = await openRow('Idle client');
    const usage = panel.locator('section.usage');
    await usage.getByText('No traffic in this period.').waitFor();
    expect(await stats(usage)).toEqual({ requests: '0', successes: '0', failures: '0' });
    expect(await usage.locator('svg').count()).toBe(0);
    await ui.screenshot('44-client-usage-empty');
    await usage.getByRole('button', { name: 'Daily' }).click();
    await usage.getByText('Nothing asked for a token or was introspected in the last 30 days.').waitFor();
    await closePanel(panel);
  });
});

describe('the usage page', () => {
  it('shows the organization\'s totals and its credentials by traffic, busiest first', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Usage' }).click();
    await page.getByRole('heading', { name: 'Usage', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/console/usage');
    const usage = page.locator('section.usage');
    await usage.locator('dd[data-stat="requests"]').waitFor();
    expect(await stats(usage)).toEqual({ requests: '14', successes: '10', failures: '4 28.6%' });
    expect((await tableRows(usage))[0]).toEqual([hourName(trafficAt), '14', '10', '4', '28.6%', 'invalid_client 3, ip_not_allowed 1', latency, latency]);

    const table = page.getByRole('table', { name: 'Credentials by traffic' });
    const rows = await table.locator('tbody tr').allInnerTexts();
    expect(rows.map((row) => row.split('\t').slice(0, 6))).toEqual([
      ['Payroll export', 'API client', '9', '6', '3', '33.3%'],
      ['Kiosk', 'restricted token', '3', '2', '1', '33.3%'],
      ['Roster sync', 'API client', '2', '2', '0', '0%'],
    ]);
    // Daily: the earlier day's traffic adds to the payroll client.
    await usage.getByRole('button', { name: 'Daily' }).click();
    await usage.getByText('Requests per day', { exact: true }).waitFor();
    expect(await stats(usage)).toEqual({ requests: '24', successes: '20', failures: '4 16.7%' });
    expect((await table.locator('tbody tr').allInnerTexts()).map((row) => row.split('\t').slice(0, 3))).toEqual([
      ['Payroll export', 'API client', '19'],
      ['Kiosk', 'restricted token', '3'],
      ['Roster sync', 'API client', '2'],
    ]);
    await usage.locator('details.usage-table summary').click(); // closed again, for the picture
    await ui.screenshot('45-usage-overview');
    // UPDATE_README_SCREENSHOT=1 refreshes the README's picture of this page (the first screenful).
    if (process.env.UPDATE_README_SCREENSHOT) await page.screenshot({ path: path.join(projectRoot, 'docs/console-usage-page.png') });
  });

  it('links each credential to its own usage page, with its last use and its API logs', async () => {
    await page.getByRole('table', { name: 'Credentials by traffic' }).getByRole('link', { name: 'Payroll export' }).click();
    await page.getByRole('heading', { name: 'Payroll export', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/console/usage/clients/${payroll.id}`);
    expect(await page.locator('.intro').innerText()).toContain(payroll.client_id);
    const usage = page.locator('section.usage');
    await usage.locator('dd[data-stat="requests"]').waitFor();
    expect(await stats(usage)).toEqual({ requests: '9', successes: '6', failures: '3 33.3%' });
    const lastUsed = (await session.request('GET', `/v1/orgs/${orgId}/clients/${payroll.id}`)).body.last_used_at;
    expect(lastUsed).toEqual(expect.any(String));
    expect(await usage.locator('dd[data-stat="last-used"]').innerText()).toMatch(
      new RegExp(`^${new Date(lastUsed).toLocaleString('en-GB', { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC' })} \\((just now|\\d+ minutes? ago)\\)$`),
    );

    // The API logs of this client: every request, newest first.
    const logs = page.getByRole('table', { name: 'API log entries' });
    await logs.locator('tbody tr').first().waitFor();
    const events = async () => (await logs.locator('tbody tr').allInnerTexts()).map((row) => row.split('\t').slice(1, 4));
    expect(await events()).toEqual([
      ['introspection.active', '200', '—'],
      ...Array.from({ length: 3 }, () => ['token.refused', '401', 'invalid_client']),
      ...Array.from({ length: 5 }, () => ['token.issued', '200', '—']),
    ]);
    await ui.screenshot('46-credential-usage-page');

    await page.getByLabel('Status').fill('4xx');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const refused = Array.from({ length: 3 }, () => ['token.refused', '401', 'invalid_client']);
    expect(await eventually(events, refused)).toEqual(refused);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
    expect(download.suggestedFilename()).toBe(`api-logs-${orgId}.csv`);
    const csv = readFileSync((await download.path()) as string, 'utf8');
    const expected = await session.request('GET', `/v1/orgs/${orgId}/api-logs?status=4xx&credential=${payroll.id}&format=csv`);
    expect(csv).toBe(expected.text);
    expect(csv.trim().split('\r\n')).toHaveLength(4);

    // A status the API cannot read is explained under the field.
    await page.getByLabel('Status').fill('teapot');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('status: must be HTTP status codes or classes like 4xx, comma-separated').waitFor();

    await page.getByRole('link', { name: '← Usage of all credentials' }).click();
    await page.getByRole('heading', { name: 'Usage', level: 1 }).waitFor();
  });

  it('filters the organization\'s API logs by credential', async () => {
    await page.getByLabel('Credential', { exact: true }).selectOption({ label: 'Kiosk (restricted token)' });
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const logs = page.getByRole('table', { name: 'API log entries' });
    const rows = async () => (await logs.locator('tbody tr').allInnerTexts()).map((row) => row.split('\t').slice(1, 5));
    const expected = [
      ['introspection.active', 'Kiosk (restricted token)', '200', 'ip_not_allowed'],
      ['introspection.active', 'Kiosk (restricted token)', '200', '—'],
      ['introspection.active', 'Kiosk (restricted token)', '200', '—'],
    ];
    expect(await eventually(rows, expected)).toEqual(expected);
    expect(await logs.getByRole('link', { name: 'Kiosk' }).first().getAttribute('href')).toBe(`/console/usage/restricted-tokens/${kiosk.id}`);
  });

  it('shows hours in the viewer\'s time zone and days as UTC days (Asia/Kolkata, UTC+05:30)', async () => {
    const kolkata = await openConsole(browser, server, { timezoneId: 'Asia/Kolkata' });
    try {
      await signInThroughConsole(kolkata.page, admin.email, admin.password);
      await kolkata.page.goto(`/console/usage/clients/${payroll.id}`);
      const usage = kolkata.page.locator('section.usage');
      await usage.locator('dd[data-stat="requests"]').waitFor();
      expect(await usage.getByText('times in your time zone (Asia/Calcutta)').or(usage.getByText('times in your time zone (Asia/Kolkata)')).count()).toBe(1);
      // The API's hours are UTC hours: 19:00–20:00 UTC is 00:30–01:30 in India.
      const rows = await tableRows(usage);
      expect(rows[0]?.slice(0, 4)).toEqual([hourName(trafficAt, 'Asia/Kolkata', 330), '9', '6', '3']);
      expect(rows[0]?.[0]).toMatch(/:30–\d\d:30$/);
      await usage.getByRole('button', { name: 'Daily' }).click();
      await usage.getByText('Requests per day', { exact: true }).waitFor();
      const days = await tableRows(usage);
      expect(days[0]?.slice(0, 2)).toEqual([dayName(trafficAt), '9']);
      // Where that UTC day starts and ends in India, on the row's header.
      const utcDay = Math.floor(trafficAt / DAY) * DAY;
      const local = (instant: number) =>
        `${new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'Asia/Kolkata' }).format(instant)}, 05:30`;
      expect(await usage.locator('details.usage-table tbody th').first().getAttribute('title')).toBe(`${local(utcDay)} – ${local(utcDay + DAY)}`);
      expect(kolkata.problems).toEqual([]);
    } finally {
      await kolkata.close();
    }
  });

  it('is readable at 375 px wide: only tables scroll sideways', async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    await page.goto('/console/usage');
    await page.locator('section.usage dd[data-stat="requests"]').waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    const svgWidth = await page.locator('section.usage svg').evaluate((svg) => svg.getBoundingClientRect().width);
    expect(svgWidth).toBeGreaterThan(250);
    expect(svgWidth).toBeLessThanOrEqual(375);
    await ui.screenshot('47-usage-overview-375px');
    await page.goto('/console/');
    const panel = await openRow('Payroll export');
    await panel.locator('dd[data-stat="requests"]').waitFor();
    const body = panel.locator('.slide-over-body');
    expect(await body.evaluate((node) => node.scrollWidth <= node.clientWidth)).toBe(true);
    await panel.locator('section.usage').scrollIntoViewIfNeeded();
    await ui.screenshot('48-client-usage-375px');
    await closePanel(panel);
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it('logged no console error, page error or failed request on the way', () => {
    expect(ui.problems).toEqual([]);
    // The one refusal was the status filter the API could not read.
    expect(ui.httpErrors).toEqual([`400 GET /v1/orgs/${orgId}/api-logs`]);
  });
});

describe('usage and roles', () => {
  async function signedIn(role: 'developer' | 'member') {
    const user = await addUser(server, orgId, role);
    const member = await openConsole(browser, server);
    await signInThroughConsole(member.page, user.email, user.password);
    return member;
  }

  it('a member reads usage (read-only, like the credentials) but not the API logs, which the API refuses', async () => {
    const member = await signedIn('member');
    try {
      const { page: memberPage } = member;
      expect(await memberPage.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts()).toEqual(['API', 'Usage']);
      await memberPage.getByRole('row', { name: /Payroll export/ }).click();
      const panel = memberPage.getByRole('dialog', { name: 'Payroll export' });
      const usage = panel.locator('section.usage');
      await usage.locator('dd[data-stat="requests"]').waitFor();
      expect(await stats(usage)).toEqual({ requests: '9', successes: '6', failures: '3 33.3%' });
      // The panel stays read-only for a member: the usage controls are buttons, not form fields.
      for (const input of await panel.locator('input, textarea').all()) expect(await input.isDisabled()).toBe(true);
      await usage.getByRole('link', { name: 'Usage details →' }).click();
      await memberPage.getByRole('heading', { name: 'Payroll export', level: 1 }).waitFor();
      await memberPage.getByText('API logs need the admin or developer role.').waitFor();
      expect(await memberPage.getByRole('table', { name: 'API log entries' }).count()).toBe(0);
      await member.screenshot('49-member-credential-usage');

      const refused = await memberPage.evaluate(async (path) => {
        const response = await fetch(path);
        return { status: response.status, body: await response.json() };
      }, `/v1/orgs/${orgId}/api-logs`);
      expect(refused).toEqual({ status: 403, body: { error: 'forbidden', error_description: 'the member role does not allow this (audit:read)' } });
      expect(member.problems).toEqual([]);
    } finally {
      await member.close();
    }
  });

  it('a refusal of the usage API is explained in place of the figures (the API decides, whatever the console assumed)', async () => {
    const member = await signedIn('member');
    try {
      const { page: memberPage } = member;
      // No role lacks clients:read today; the API's answer for one that did is played back here.
      await memberPage.route((url) => /\/v1\/orgs\/[^/]+\/clients\/[^/]+\/usage$/.test(url.pathname), (route) =>
        route.fulfill({ status: 403, json: { error: 'forbidden', error_description: 'the member role does not allow this (clients:read)' } }),
      );
      await memberPage.getByRole('row', { name: /Payroll export/ }).click();
      const panel = memberPage.getByRole('dialog', { name: 'Payroll export' });
      await panel
        .getByText('You cannot see the usage of this API client: the member role does not allow this (clients:read). Ask an organization admin if you need it.')
        .waitFor();
      expect(await panel.locator('section.usage svg').count()).toBe(0);
      expect(await panel.getByRole('button', { name: 'Refresh' }).isDisabled()).toBe(false);
      await member.screenshot('50-usage-refused');
      expect(member.problems).toEqual([]);
      expect(member.httpErrors).toEqual([`403 GET /v1/orgs/${orgId}/clients/${payroll.id}/usage`]);
    } finally {
      await member.close();
    }
  });

  it('a developer sees the usage and the API logs', async () => {
    const developer = await signedIn('developer');
    try {
      const { page: devPage } = developer;
      expect(await devPage.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts()).toEqual(['API', 'Usage', 'Audit log']);
      await devPage.getByRole('link', { name: 'Usage', exact: true }).click();
      await devPage.getByRole('table', { name: 'API log entries' }).locator('tbody tr').first().waitFor();
      expect(await devPage.getByRole('table', { name: 'API log entries' }).locator('tbody tr').count()).toBe(14);
      expect(developer.problems).toEqual([]);
    } finally {
      await developer.close();
    }
  });
});
