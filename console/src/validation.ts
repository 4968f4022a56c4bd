// Inline checks that mirror the API's rules (README "Rules"), so most mistakes show before a
// request is sent. The API still validates everything; its messages are shown the same way.

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex
const DESCRIPTION_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Splits a comma- (or line-) separated list, dropping empty entries. */
export function splitList(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

export function checkName(name: string): string | null {
  const value = name.trim();
  if (value === '') return 'must not be empty';
  if (value.length > 64) return 'must be at most 64 characters';
  if (CONTROL_CHARACTERS.test(value)) return 'must not contain control characters';
  return null;
}

export function checkDescription(text: string): string | null {
  if (text.length > 500) return 'must be at most 500 characters';
  if (DESCRIPTION_CONTROL.test(text)) return 'must not contain control characters';
  return null;
}

/** Why an origin is refused, or null when the API would accept it. */
export function originProblem(input: string): string | null {
  const value = input.trim();
  if (value === '' || value.toLowerCase() === 'null') return 'must be an origin like https://app.example.com';
  if (value.includes('*')) return 'must not contain a wildcard';
  const match = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)([/?#].*)?$/i.exec(value);
  if (!match) return 'must be an origin like https://app.example.com';
  if (match[3]) return 'must not have a path, query or fragment';
  if (match[2]?.includes('@')) return 'must not contain user information';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an origin like https://app.example.com';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must use https';
  if (url.protocol === 'http:' && !LOCAL_HOSTS.has(url.hostname)) return 'must use https (http is allowed for localhost only)';
  return null;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** 4, or the IPv6 address as the URL parser writes it ("[::ffff:102:304]"), or null. */
function parseAddress(address: string): 4 | string | null {
  if (IPV4.test(address)) return 4;
  if (!address.includes(':') || address.includes('%') || /[[\]/]/.test(address)) return null;
  try {
    // The URL parser implements the IPv6 address grammar (with embedded IPv4).
    return new URL(`http://[${address}]/`).hostname;
  } catch {
    return null;
  }
}

/** Why an IP address or CIDR is refused, or null when the API would accept it. */
export function ipProblem(input: string): string | null {
  const [address, prefix, extra] = input.trim().split('/');
  if (extra !== undefined || !address) return 'is not an IPv4 or IPv6 address or CIDR';
  const parsed = parseAddress(address);
  if (parsed === null) return 'is not an IPv4 or IPv6 address or CIDR';
  if (prefix === undefined) return null;
  if (!/^\d{1,3}$/.test(prefix)) return 'has an invalid prefix length';
  const bits = Number(prefix);
  const mapped = typeof parsed === 'string' && /^\[::ffff:[0-9a-f]{1,4}:[0-9a-f]{1,4}\]$/.test(parsed);
  if (mapped) {
    if (bits < 96) return 'has a prefix too short for an IPv4-mapped address';
    if (bits > 128) return 'has a prefix longer than /32';
    return bits === 96 ? 'allows every address: list the addresses that may use the token' : null;
  }
  const max = parsed === 4 ? 32 : 128;
  if (bits > max) return `has a prefix longer than /${max}`;
  if (bits === 0) return 'allows every address: list the addresses that may use the token';
  return null;
}

/** The first problem of a list, named like the API names it ("entry 2: ..."). */
export function listProblem(entries: string[], problem: (entry: string) => string | null, max: number, what: string): string | null {
  if (entries.length > max) return `must hold at most ${max} ${what}`;
  for (const [index, entry] of entries.entries()) {
    const reason = problem(entry);
    if (reason) return `entry ${index + 1}: ${JSON.stringify(entry)} ${reason}`;
  }
  const seen = new Set<string>();
  for (const [index, entry] of entries.entries()) {
    const key = entry.toLowerCase();
    if (seen.has(key)) return `entry ${index + 1}: duplicates ${entry}`;
    seen.add(key);
  }
  return null;
}

/** A datetime-local value as an ISO instant, or a problem; empty means no expiry. */
export function expiryOf(localValue: string, now = Date.now()): { value: string | null; problem: string | null } {
  if (localValue === '') return { value: null, problem: null };
  const date = new Date(localValue);
  if (Number.isNaN(date.getTime())) return { value: null, problem: 'must be a date and time' };
  if (date.getTime() <= now) return { value: null, problem: 'must be in the future' };
  return { value: date.toISOString(), problem: null };
}
