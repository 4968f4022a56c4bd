// Debian's Chromium driven by playwright-core (no browser download), headless, for the web
// console's end-to-end tests. Every page records console errors, failed requests and uncaught
// exceptions so a test can assert there were none.
import { existsSync, mkdirSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';
import { projectRoot } from '../../config/index.js';
import { consoleIsBuilt } from '../../server/console/console.routes.js';
import type { TestServer } from './server.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = path.join(projectRoot, 'tests', 'artifacts', 'console');

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `The console's browser tests need Chromium at ${CHROMIUM}: install it with ` +
        '`apt-get update && apt-get install -y chromium` (or set CHROMIUM_PATH to a Chromium binary).',
    );
  }
  if (!consoleIsBuilt(path.join(projectRoot, 'console', 'dist'))) {
    throw new Error('The web console is not built: run `npm run build:console` (npm install and npm test run it).');
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}

export interface ConsolePage {
  page: Page;
  context: BrowserContext;
  /** Console errors, page errors and failed requests seen so far. */
  problems: string[];
  /** Every answer of 400 or more the page received: "401 POST /v1/auth/login". */
  httpErrors: string[];
  /** Saves a full-page screenshot as tests/artifacts/console/<name>.png. */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function openConsole(
  browser: Browser,
  server: TestServer,
  options: { width?: number; height?: number; timezoneId?: string } = {},
): Promise<ConsolePage> {
  const context = await browser.newContext({
    baseURL: server.url,
    viewport: { width: options.width ?? 1440, height: options.height ?? 900 },
    acceptDownloads: true,
    locale: 'en-GB',
    timezoneId: options.timezoneId ?? 'UTC',
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const problems: string[] = [];
  const httpErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    // Chromium logs every 4xx answer; the API's refusals a test provokes on purpose are not faults
    // of the page. They are recorded apart (below) so a test can check they are the expected ones.
    if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(message.text())) return;
    problems.push(`console: ${message.text()}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) {
      httpErrors.push(`${response.status()} ${response.request().method()} ${new URL(response.url()).pathname}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  // A request still in flight when the test loads another address is cancelled by the browser; that
  // is the test moving on, not a fault of the page. Each request remembers which document sent it.
  let documents = 0;
  const sentFrom = new WeakMap<Request, number>();
  page.on('request', (request) => {
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) documents += 1;
    sentFrom.set(request, documents);
  });
  page.on('requestfailed', (request) => {
    const aborted = request.failure()?.errorText === 'net::ERR_ABORTED';
    // A download the test does not read may be aborted by the browser: not a problem of the page.
    if (aborted && request.url().includes('format=csv')) return;
    if (aborted && !request.isNavigationRequest() && sentFrom.get(request) !== documents) return;
    problems.push(`request failed: ${request.method()} ${request.url()} ${request.failure()?.errorText ?? ''}`);
  });
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    page,
    context,
    problems,
    httpErrors,
    async screenshot(name) {
      const file = path.join(ARTIFACTS, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    close: () => context.close(),
  };
}

/** Signs in through the console's form and waits for the API page. */
export async function signInThroughConsole(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/console/');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'API', exact: true, level: 1 }).waitFor();
}

/** Reads until the value equals `expected` (or the time is up) and returns the last reading. */
export async function eventually<T>(read: () => Promise<T>, expected: T, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!isDeepStrictEqual(value, expected) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}
