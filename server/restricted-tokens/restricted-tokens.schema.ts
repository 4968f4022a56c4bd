import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { clientName } from '../clients/clients.schema.js';
import { canonicalEntries, futureDateTime, typeError } from '../shared/validation.js';

function parseStrict(address: string): ipaddr.IPv4 | ipaddr.IPv6 {
  if (ipaddr.IPv4.isValidFourPartDecimal(address)) return ipaddr.IPv4.parse(address);
  if (address.includes(':') && !address.includes('%') && ipaddr.IPv6.isValid(address)) return ipaddr.IPv6.parse(address);
  throw new Error('is not an IPv4 or IPv6 address or CIDR');
}

/**
 * An IP address or CIDR in canonical form: IPv4-mapped IPv6 becomes IPv4, IPv6 is compressed
 * (RFC 5952), a CIDR names its network address, and a full-length prefix is a plain address.
 */
export function canonicalIp(input: string): string {
  const value = input.trim();
  const [addressPart, prefixPart, extra] = value.split('/');
  if (extra !== undefined || addressPart === undefined || addressPart === '') throw new Error('is not an IPv4 or IPv6 address or CIDR');
  let address = parseStrict(addressPart);
  let bits: number | undefined;
  if (prefixPart !== undefined) {
    if (!/^\d{1,3}$/.test(prefixPart)) throw new Error('has an invalid prefix length');
    bits = Number(prefixPart);
  }
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    if (bits !== undefined && bits < 96) throw new Error('has a prefix too short for an IPv4-mapped address');
    address = (address as ipaddr.IPv6).toIPv4Address();
    if (bits !== undefined) bits -= 96;
  }
  const max = address.kind() === 'ipv4' ? 32 : 128;
  if (bits === undefined || bits === max) {
    if (bits !== undefined && bits > max) throw new Error(`has a prefix longer than /${max}`);
    return address.toString();
  }
  if (bits > max) throw new Error(`has a prefix longer than /${max}`);
  if (bits === 0) throw new Error('allows every address: list the addresses that may use the token');
  const network =
    address.kind() === 'ipv4'
      ? ipaddr.IPv4.networkAddressFromCIDR(`${address.toString()}/${bits}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/${bits}`);
  return `${network.toString()}/${bits}`;
}

export const allowedIps = z
  .array(z.string({ error: typeError('an IP address or CIDR') }), { error: typeError('a list of IP addresses or CIDRs', 'a list of IP addresses or CIDRs') })
  .min(1, 'must hold at least one IP address or CIDR')
  .max(100, 'must hold at most 100 entries')
  .transform((entries, ctx) => canonicalEntries(entries, canonicalIp, ctx));

export const createRestrictedTokenSchema = z
  .object({
    name: clientName,
    allowed_ips: allowedIps,
    scopes: z
      .array(z.string({ error: typeError('a scope name') }), { error: typeError('a list of scopes', 'a non-empty list of restricted scopes from the catalog') })
      .min(1, 'must hold at least one scope')
      .max(50, 'must hold at most 50 scopes'),
    expires_at: futureDateTime,
  })
  .strict();

export const updateRestrictedTokenSchema = z
  .object({ name: clientName.optional(), allowed_ips: allowedIps.optional() })
  .strict()
  .refine((value) => value.name !== undefined || value.allowed_ips !== undefined, 'give at least one of name, allowed_ips');

export const IMMUTABLE_TOKEN_FIELDS: Record<string, string> = {
  scopes: 'scopes cannot be changed: create a new restricted token with the scopes you need',
  expires_at: 'expires_at cannot be changed: create a new restricted token with the expiry you need',
  token: 'token cannot be set: delete this token and create a new one',
  id: 'id is assigned by the server',
  token_last4: 'token_last4 is assigned by the server',
  created_at: 'created_at is assigned by the server',
  created_by: 'created_by is assigned by the server',
  last_used_at: 'last_used_at is assigned by the server',
};
