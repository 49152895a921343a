/**
 * `mask-ip`: IPv4 keeps its first three octets (the last becomes 0); IPv6 keeps its first 48 bits (the
 * rest become 0) and is written in its canonical form (RFC 5952: lowercase, no leading zeros, the longest
 * run of zero groups as `::`).
 *
 * - An IPv4-mapped IPv6 address (`::ffff:192.0.2.7`, how a dual-stack server often logs an IPv4 client) is
 *   an IPv4 address and is masked as one, keeping the mapped form: `::ffff:192.0.2.0`.
 * - An IPv6 zone (`fe80::1%eth0`) names a local interface, not the peer, and is dropped.
 * - Anything that is not an IP address (a CIDR, a host name, surrounding spaces) returns `undefined`: the
 *   caller removes it rather than keep it.
 *
 * Parsing is Node's (`net.isIP`) and the WHATWG URL host parser's, which also serialises IPv6 canonically.
 */
import { isIP } from 'node:net';

export function maskIp(text: string): string | undefined {
  const address = text.includes('%') ? text.slice(0, text.indexOf('%')) : text;
  switch (isIP(address)) {
    case 4:
      return maskIpv4(address);
    case 6:
      return maskIpv6(address);
    default:
      return undefined;
  }
}

function maskIpv4(address: string): string {
  const [a, b, c] = address.split('.');
  return `${a}.${b}.${c}.0`;
}

function maskIpv6(address: string): string {
  const groups = expand(canonicalIpv6(address));
  const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  if (mapped) {
    const [hi, lo] = [groups[6], groups[7]];
    return `::ffff:${hi >> 8}.${hi & 0xff}.${lo >> 8}.0`;
  }
  return canonicalIpv6([...groups.slice(0, 3), 0, 0, 0, 0, 0].map((g) => g.toString(16)).join(':'));
}

/** The canonical text of an IPv6 address, without brackets. */
function canonicalIpv6(address: string): string {
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

/** The eight 16-bit groups of a canonical IPv6 address (hex groups only, as the URL parser writes them). */
function expand(canonical: string): number[] {
  const [head, tail] = canonical.includes('::') ? canonical.split('::') : [canonical, undefined];
  const parse = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}
