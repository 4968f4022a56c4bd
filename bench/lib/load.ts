// Load generation: autocannon for HTTP scenarios, and a timed loop for scenarios that need every
// latency (p95) or that call a function in-process.
import autocannon from 'autocannon';
import { percentile, type Measurement } from './stats.js';
import { measureCpu, sampleRss } from './processes.js';

export function runAutocannon(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

/** Runs autocannon against a server process, sampling that process's memory meanwhile. */
export async function measureHttp(options: autocannon.Options, serverPid: number): Promise<Measurement> {
  const rss = sampleRss(serverPid);
  const cpu = measureCpu(serverPid);
  const result = await runAutocannon(options);
  const cpuMs = cpu.stop();
  const peakRssMb = rss.stop();
  const seconds = result.duration > 0 ? result.duration : 1;
  return {
    // Completed requests over the measured time (2xx or not: errors are counted separately).
    requestsPerSecond: result.requests.total / seconds,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.non2xx + result.errors + result.timeouts,
    requests: result.requests.total,
    peakRssMb,
    ...(result.requests.total > 0 ? { cpuMsPerRequest: cpuMs / result.requests.total } : {}),
  };
}

/**
 * Calls `operation` from `concurrency` loops for `seconds` and records every latency. `operation`
 * resolves true for success. Memory is sampled on `pid` (the process doing the work).
 */
export async function measureLoop(
  operation: () => Promise<boolean>,
  options: { seconds: number; concurrency: number; pid: number; maxOperations?: number },
): Promise<Measurement> {
  const latencies: number[] = [];
  let errors = 0;
  const rss = sampleRss(options.pid);
  const cpu = measureCpu(options.pid);
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  const max = options.maxOperations ?? Number.POSITIVE_INFINITY;
  let issued = 0;
  const loop = async () => {
    while (performance.now() < deadline && issued < max) {
      issued++;
      const begin = performance.now();
      let ok = false;
      try {
        ok = await operation();
      } catch {
        ok = false;
      }
      latencies.push(performance.now() - begin);
      if (!ok) errors++;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, loop));
  const elapsed = (performance.now() - started) / 1000;
  const cpuMs = cpu.stop();
  return {
    requestsPerSecond: latencies.length / elapsed,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    p99Ms: percentile(latencies, 99),
    errors,
    requests: latencies.length,
    peakRssMb: rss.stop(),
    ...(latencies.length > 0 ? { cpuMsPerRequest: cpuMs / latencies.length } : {}),
  };
}
