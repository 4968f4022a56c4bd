// What every HTTP request gets, through Express or through the token endpoint's own path
// (server/http/token-route.ts): a request id (X-Request-Id, echoed when well-formed), one access
// log line and the HTTP metrics once the response is finished. No per-request child logger: the
// line is written with the request's fields when it ends.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Metrics } from '../metrics.js';
import { accessLogger, redactUrl, type Logger } from '../shared/logger.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Probes and scrapes: counted in the metrics, not logged. */
const UNLOGGED = new Set(['/healthz', '/readyz', '/metrics']);

/** What the envelope adds to the request. */
export interface EnvelopedRequest extends IncomingMessage {
  id: string;
  /** The client address as TRUST_PROXY allows it to be read; set by Express or by the token route. */
  ip?: string;
}

export interface EnvelopeDeps {
  logger: Logger;
  metrics: Pick<Metrics, 'requestFinished'>;
}

/**
 * Returns `begin(req, res, routeOf)`: call it first thing for every request. `routeOf` names the
 * route the request matched once it has ended (a metrics label: never the raw URL).
 */
export function createEnvelope({ logger: parent, metrics }: EnvelopeDeps) {
  const logger = accessLogger(parent);
  return function begin(req: IncomingMessage, res: ServerResponse, routeOf: () => string): void {
    const started = performance.now();
    // Read now: routers rewrite req.url while they handle a request.
    const url = req.url ?? '/';
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    (req as EnvelopedRequest).id = id;
    res.setHeader('X-Request-Id', id);

    const done = () => {
      res.removeListener('finish', done);
      res.removeListener('close', done);
      const elapsed = performance.now() - started;
      const query = url.indexOf('?');
      const path = query === -1 ? url : url.slice(0, query);
      // A response cut off before it was sent (the client went away) is logged, not counted.
      const finished = res.writableFinished;
      if (finished) metrics.requestFinished(routeOf(), req.method ?? 'GET', path, res.statusCode, elapsed / 1000);
      if (UNLOGGED.has(path)) return;
      const fields = {
        req: { id, method: req.method, url: redactUrl(url), ip: (req as EnvelopedRequest).ip },
        res: { statusCode: res.statusCode },
        responseTime: Math.round(elapsed),
      };
      if (res.statusCode >= 500) logger.error(fields, 'request errored');
      else if (!finished) logger.info(fields, 'request aborted');
      else logger.info(fields, 'request completed');
    };
    res.on('finish', done);
    res.on('close', done);
  };
}

export type Envelope = ReturnType<typeof createEnvelope>;
