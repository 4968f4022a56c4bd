// What every scenario receives: the run's options and a way to report progress.
import type autocannon from 'autocannon';
import type { BaselineServer } from './baseline-server.js';
import type { Measurement, ResultRow } from './stats.js';
import { basic } from './latchkey.js';

export interface BenchOptions {
  /** Measured runs per variant (the table shows their median). */
  runs: number;
  /** Length of each measured run. */
  seconds: number;
  /** Load before the first measured run of a server (JIT, pools, caches). */
  warmupSeconds: number;
  quick: boolean;
  /** Worker processes to ask the server for (WORKERS); undefined leaves the server's default. */
  workers: number | undefined;
  /** Fresh clients per token-cold run. */
  coldClients: number;
  /** API clients in the database for the scale scenario, and audit events. */
  scaleClients: number;
  auditEvents: number;
  /** Where the child processes write their logs. */
  logDir: string;
}

export interface ScenarioContext {
  options: BenchOptions;
  log(message: string): void;
  /** The baseline server of the run, started on first use and shared by every scenario. */
  baseline(): Promise<BaselineServer>;
}

export interface Scenario {
  name: string;
  /** One line for --help and the docs. */
  description: string;
  run(context: ScenarioContext): Promise<ResultRow[]>;
}

/** Runs `measure` options.runs times, logging each run. */
export async function repeat(context: ScenarioContext, label: string, measure: (run: number) => Promise<Measurement>): Promise<Measurement[]> {
  const runs: Measurement[] = [];
  for (let run = 0; run < context.options.runs; run++) {
    const result = await measure(run);
    context.log(
      `  ${label} run ${run + 1}/${context.options.runs}: ${Math.round(result.requestsPerSecond)} req/s, p50 ${result.p50Ms.toFixed(1)} ms, ${result.p95Ms !== undefined ? `p95 ${result.p95Ms.toFixed(1)} ms, ` : ''}p99 ${result.p99Ms.toFixed(1)} ms, ${result.errors} errors, RSS ${Math.round(result.peakRssMb)} MB${result.cpuMsPerRequest !== undefined ? `, CPU ${result.cpuMsPerRequest.toFixed(2)} ms/req` : ''}`,
    );
    runs.push(result);
  }
  return runs;
}

/**
 * Like `repeat`, with a run of `reference` right before each run: `referenceRuns` are those
 * runs, and the row's ratios are taken against them, so both sides see the machine as it was at
 * that moment (its speed drifts by up to 2x within minutes on shared hosts).
 */
export async function repeatAgainst(
  context: ScenarioContext,
  label: string,
  reference: { label: string; measure: () => Promise<Measurement> },
  measure: (run: number) => Promise<Measurement>,
): Promise<{ runs: Measurement[]; referenceRuns: Measurement[] }> {
  const referenceRuns: Measurement[] = [];
  const runs = await repeat(context, label, async (run) => {
    const result = await reference.measure();
    context.log(`  (${reference.label}, interleaved: ${Math.round(result.requestsPerSecond)} req/s, p99 ${result.p99Ms.toFixed(1)} ms${result.cpuMsPerRequest !== undefined ? `, CPU ${result.cpuMsPerRequest.toFixed(2)} ms/req` : ''})`);
    referenceRuns.push(result);
    return measure(run);
  });
  return { runs, referenceRuns };
}

/** `repeatAgainst` the run's baseline server at the same number of connections. */
export async function repeatInterleaved(
  context: ScenarioContext,
  label: string,
  connections: number,
  measure: (run: number) => Promise<Measurement>,
): Promise<{ runs: Measurement[]; referenceRuns: Measurement[] }> {
  const baseline = await context.baseline();
  return repeatAgainst(
    context,
    label,
    { label: `baseline ${connections}c`, measure: () => baseline.measure(connections, context.options.seconds, context.options.warmupSeconds) },
    measure,
  );
}

/** autocannon options for client-credentials token requests with HTTP Basic. */
export function tokenRequests(url: string, credentials: ReadonlyArray<{ client_id: string; client_secret: string }>, connections: number): autocannon.Options {
  const headers = credentials.map((client) => basic(client.client_id, client.client_secret));
  const base: autocannon.Options = {
    url: `${url}/oauth/token`,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: headers[0] as string },
    body: 'grant_type=client_credentials',
    connections,
  };
  if (headers.length === 1) return base;
  // Round robin over every client, across connections (a requests array would restart per connection).
  let next = 0;
  return {
    ...base,
    requests: [
      {
        setupRequest: (request) => ({
          ...request,
          headers: { ...request.headers, authorization: headers[next++ % headers.length] as string },
        }),
      },
    ],
  };
}
