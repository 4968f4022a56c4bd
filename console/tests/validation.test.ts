// The console's inline checks must agree with the API's: whatever the console lets through, the
// API accepts, and whatever it stops, the API would refuse with the same reason.
import { canonicalOrigin } from '../../server/clients/clients.schema.js';
import { canonicalIp } from '../../server/restricted-tokens/restricted-tokens.schema.js';
import { splitFieldError } from '../src/api';
import { checkDescription, checkName, expiryOf, ipProblem, listProblem, originProblem, splitList } from '../src/validation';

const serverReason = (canonical: (input: string) => string, input: string): string | null => {
  try {
    canonical(input);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
};

describe('originProblem', () => {
  const samples = [
    'https://app.example.com',
    'https://App.Example.com:443',
    'https://app.example.com:8443',
    'http://localhost:3000',
    'http://127.0.0.1:8080',
    'http://[::1]:5173',
    'http://app.example.com',
    'https://app.example.com/',
    'https://app.example.com/path',
    'https://app.example.com?q=1',
    'https://*.example.com',
    'null',
    '',
    'app.example.com',
    'ftp://files.example.com',
    'https://user@app.example.com',
    'https://exa mple.com',
    'https://[zz]',
  ];
  it.each(samples)('gives the API\'s answer for %j', (sample) => {
    expect(originProblem(sample)).toBe(serverReason(canonicalOrigin, sample));
  });
});

describe('ipProblem', () => {
  const samples = [
    '203.0.113.7',
    '10.1.2.3/8',
    '10.0.0.0/32',
    '0.0.0.0/0',
    '10.0.0.0/33',
    '256.1.1.1',
    '1.2.3',
    '01.2.3.4',
    '2001:db8::1',
    '2001:DB8::/32',
    '::/0',
    '2001:db8::/129',
    '::ffff:203.0.113.9',
    '::ffff:203.0.113.9/120',
    '::ffff:203.0.113.9/64',
    'fe80::1%eth0',
    'example.com',
    '10.0.0.0/8/8',
    '10.0.0.0/x',
    '',
  ];
  it.each(samples)('gives the API\'s answer for %j', (sample) => {
    expect(ipProblem(sample)).toBe(serverReason(canonicalIp, sample));
  });
});

describe('names, descriptions, lists and expiry', () => {
  it('checks a name the way the API does', () => {
    expect([checkName(''), checkName('   '), checkName('a'.repeat(65)), checkName('tab\there'), checkName('  Payroll export  ')]).toEqual([
      'must not be empty',
      'must not be empty',
      'must be at most 64 characters',
      'must not contain control characters',
      null,
    ]);
  });
  it('allows line breaks in a description but not 501 characters', () => {
    expect([checkDescription('line\nbreak\ttab'), checkDescription('x'.repeat(501)), checkDescription('bell\u0007')]).toEqual([
      null,
      'must be at most 500 characters',
      'must not contain control characters',
    ]);
  });
  it('splits comma- or line-separated lists and names the first bad entry like the API does', () => {
    expect(splitList(' https://a.example , ,\nhttps://b.example,')).toEqual(['https://a.example', 'https://b.example']);
    expect(listProblem(['203.0.113.7', '0.0.0.0/0'], ipProblem, 100, 'entries')).toBe(
      'entry 2: "0.0.0.0/0" allows every address: list the addresses that may use the token',
    );
    expect(listProblem(['https://a.example', 'HTTPS://A.example'], originProblem, 50, 'origins')).toBe('entry 2: duplicates HTTPS://A.example');
  });
  it('turns a local date-time into an ISO instant in the future, or says why not', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    expect(expiryOf('', now)).toEqual({ value: null, problem: null });
    expect(expiryOf('2029-12-31T23:00', now).problem).toBe('must be in the future');
    expect(expiryOf('2031-06-01T12:00', now)).toEqual({ value: new Date('2031-06-01T12:00').toISOString(), problem: null });
  });
});

describe('splitFieldError', () => {
  it('finds the field an API 400 names, with the entry number for list items', () => {
    expect(splitFieldError('allowed_origins.1: duplicates https://app.example.com')).toEqual({
      field: 'allowed_origins',
      message: 'entry 2: duplicates https://app.example.com',
    });
    expect(splitFieldError('name: must not be empty')).toEqual({ field: 'name', message: 'must not be empty' });
    expect(splitFieldError('this organization already has 3 active API clients, its limit is 3: disable or delete an API client to free a slot')).toEqual({
      field: null,
      message: 'this organization already has 3 active API clients, its limit is 3: disable or delete an API client to free a slot',
    });
  });
});
