// What bench:pair's command line asks of the Latchkey server it measures: environment settings
// (--workers, --node-options, --env NAME=value) and node options after npm start's (--node-args).

export interface ServerSettingsInput {
  workers?: string;
  /** NODE_OPTIONS for the server only. */
  nodeOptions?: string;
  /** NAME=value settings; the value may itself hold '='. */
  env?: string[];
}

/** The server's extra environment; throws on a setting that is not NAME=value. */
export function serverEnv({ workers, nodeOptions, env = [] }: ServerSettingsInput): Record<string, string> {
  const settings: Record<string, string> = {};
  if (workers) settings.WORKERS = workers;
  if (nodeOptions) settings.NODE_OPTIONS = nodeOptions;
  for (const setting of env) {
    const equals = setting.indexOf('=');
    if (equals < 1) throw new Error(`--env takes NAME=value, not ${setting}`);
    settings[setting.slice(0, equals)] = setting.slice(equals + 1);
  }
  return settings;
}

/** --node-args as separate arguments ('--a=1  --b' gives two); none when absent. */
export function nodeArgs(value: string | undefined): string[] {
  return (value ?? '').split(/\s+/).filter(Boolean);
}
