import { nodeArguments, serverNodeOptions } from '../../bench/lib/processes.js';
import { nodeArgs, serverEnv } from '../../bench/lib/server-settings.js';

describe("bench:pair's server settings", () => {
  it('turns --workers, --node-options and each --env into the server environment', () => {
    expect(
      serverEnv({ workers: '2', nodeOptions: '--max-old-space-size=256', env: ['LOG_LEVEL=warn', 'ISSUER=http://a.test/?x=1', 'EMPTY='] }),
    ).toEqual({ WORKERS: '2', NODE_OPTIONS: '--max-old-space-size=256', LOG_LEVEL: 'warn', ISSUER: 'http://a.test/?x=1', EMPTY: '' });
    expect(serverEnv({ env: [] })).toEqual({});
    expect(serverEnv({})).toEqual({});
  });

  it('refuses an --env that is not NAME=value', () => {
    expect(() => serverEnv({ env: ['LOG_LEVEL'] })).toThrow('--env takes NAME=value, not LOG_LEVEL');
    expect(() => serverEnv({ env: ['=warn'] })).toThrow('--env takes NAME=value, not =warn');
  });

  it('splits --node-args on any run of spaces', () => {
    expect(nodeArgs(' --heap-growing-percent=200   --max-semi-space-size=4 ')).toEqual(['--heap-growing-percent=200', '--max-semi-space-size=4']);
    expect(nodeArgs('')).toEqual([]);
    expect(nodeArgs(undefined)).toEqual([]);
  });

  it("puts --node-args after npm start's own options, so that the later flag wins", () => {
    const args = nodeArguments('server/main.ts', ['--heap-growing-percent=200']);
    const own = serverNodeOptions();
    expect(own.length).toBeGreaterThan(0);
    expect(args.slice(0, own.length + 1)).toEqual([...own, '--heap-growing-percent=200']);
    expect(args.at(-1)).toMatch(/server[/\\]main\.js$/);
    // Other entries (the baseline, helpers) do not get the server's heap settings.
    expect(nodeArguments('bench/servers/baseline.ts', [])).toEqual([expect.stringMatching(/baseline\.js$/)]);
  });
});
