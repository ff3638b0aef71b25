import { normalizeAddress } from './stream-peer.js';

/** `http://192.168.1.23:8080/` (IPv6 in brackets; an IPv4-mapped address as IPv4). */
export function webUrl(secure: boolean, host: string, port: number): string {
  const h = normalizeAddress(host);
  const shown = h.includes(':') ? `[${h}]` : h;
  const scheme = secure ? 'https' : 'http';
  const defaultPort = secure ? 443 : 80;
  return `${scheme}://${shown}${port === defaultPort ? '' : `:${port}`}/`;
}
