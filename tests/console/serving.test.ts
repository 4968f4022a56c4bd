// How the server answers for the web console when its build is missing: it says what to run.
import { startTestServer, tempDir, type TestServer } from '../helpers/server.js';

let server: TestServer;
let missing: string;

beforeAll(async () => {
  missing = tempDir('lk-no-console-');
  server = await startTestServer({ env: { CONSOLE_DIR: missing } });
});
afterAll(() => server.stop());

describe('GET /console without a built console', () => {
  it('answers 503 with the command that builds it, and the server warned at start', async () => {
    const response = await fetch(`${server.url}/console/`);
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await response.text()).toBe(
      'The web console has not been built: run `npm run build:console` (npm install runs it) and restart the server.\n',
    );
    const warning = server.logs.lines.find((line) => line.level === 40 && String(line.msg).startsWith('The web console has not been built'));
    expect(warning).toMatchObject({ consoleDir: missing });
  });

  it('still serves everything else, and / points at the console', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const root = await fetch(`${server.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/console/');
  });
});
