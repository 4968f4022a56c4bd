// Structured JSON logs. Redaction by field name is the second net behind "secrets have one door":
// nothing should hand a secret to the logger, and if something does, these paths hide it.
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../../config/index.js';

export type { Logger };

export const REDACTED_FIELDS = [
  'client_secret',
  'secret',
  'password',
  'token',
  'access_token',
  'authorization',
  'cookie',
  'private_jwk',
  'secret_hash',
  'keyEncryptionSecret',
];

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const paths = [
    ...REDACTED_FIELDS,
    ...REDACTED_FIELDS.map((field) => `*.${field}`),
    'req.headers.authorization',
    'req.headers.cookie',
    'req.headers["proxy-authorization"]',
    'res.headers["set-cookie"]',
  ];
  return pino(
    {
      level,
      base: { service: 'latchkey' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths, censor: '[redacted]' },
    },
    // stdout written asynchronously: a busy server's lines leave in a few writes instead of one
    // blocking write each. What is still buffered is written out when the process exits.
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/**
 * The logger for access lines (server/http/envelope.ts), whose fields are built from a fixed list
 * (request id, method, URL with secret query values replaced, client address, status, time):
 * nothing in them can be a secret, so they skip the redaction pass every other line goes through.
 */
export function accessLogger(logger: Logger): Logger {
  return logger.child({}, { redact: { paths: [] } });
}

const SENSITIVE_QUERY = /^(client_secret|secret|password|token|access_token|refresh_token|code|client_assertion)$/i;

/** The request URL with the values of credential-bearing query parameters replaced. */
export function redactUrl(url: string): string {
  const index = url.indexOf('?');
  if (index === -1) return url;
  const params = new URLSearchParams(url.slice(index + 1));
  for (const key of [...params.keys()]) {
    if (SENSITIVE_QUERY.test(key)) params.set(key, '[redacted]');
  }
  return `${url.slice(0, index)}?${params.toString()}`;
}
