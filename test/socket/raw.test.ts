// SOCK_RAW: an ICMP echo request built by hand, answered by the kernel on loopback. Needs
// CAP_NET_RAW (CI runs as root); without it the tests say why they skip.
import { describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { rawSocketsAllowed, sock } from '../helpers/fds.js';

const { AF_INET, SOCK_RAW, IPPROTO_ICMP, POLLIN, MSG_DONTWAIT } = s.constants;

const raw = rawSocketsAllowed();
if (!raw.ok) console.warn(`skipping SOCK_RAW tests: ${raw.reason}`);

// RFC 1071 internet checksum.
function checksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i);
  if (b.length % 2) sum += b[b.length - 1]! << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

function echoRequest(id: number, seq: number, payload: Buffer): Buffer {
  const p = Buffer.concat([Buffer.alloc(8), payload]);
  p[0] = 8; // ICMP_ECHO
  p.writeUInt16BE(id, 4);
  p.writeUInt16BE(seq, 6);
  p.writeUInt16BE(checksum(p), 2);
  return p;
}

describe.skipIf(!raw.ok)('SOCK_RAW', () => {
  it('gets an ICMP echo reply from 127.0.0.1, with the IPv4 header included', () => {
    const fd = sock(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    const id = process.pid & 0xffff;
    const payload = Buffer.from('sockfd raw test');
    const to: s.InetAddress = { family: 'inet', address: '127.0.0.1', port: 0 };
    expect(s.sendto(fd, echoRequest(id, 1, payload), 0, to)).toBe(8 + payload.length);

    const buf = Buffer.alloc(1500);
    const deadline = Date.now() + 5000;
    for (;;) {
      expect(Date.now()).toBeLessThan(deadline);
      const [p] = s.poll([{ fd, events: POLLIN }], 1000);
      if (!(p!.revents & POLLIN)) continue;
      const { bytes, address } = s.recvfrom(fd, buf, MSG_DONTWAIT);
      const ihl = (buf[0]! & 0x0f) * 4;
      expect(buf[0]! >> 4).toBe(4); // the IPv4 header comes first
      expect(buf[9]).toBe(IPPROTO_ICMP);
      const icmp = buf.subarray(ihl, bytes);
      // The raw socket also sees our own request looped back; wait for the reply.
      if (icmp[0] !== 0 || icmp.readUInt16BE(4) !== id) continue;
      expect(address).toMatchObject({ family: 'inet', address: '127.0.0.1' });
      expect(checksum(icmp)).toBe(0);
      expect(icmp.subarray(8).toString()).toBe(payload.toString());
      break;
    }
  });
});

describe('RawSocket.create options', () => {
  // Checked before the socket exists, so neither a bad value nor a throwing getter leaks an fd
  // (the file's fd guard would see it), with or without CAP_NET_RAW.
  it('refuses options that are no object and lets a throwing getter through, leaking nothing', () => {
    for (const options of [null, 5, 'x']) {
      expect(() =>
        s.RawSocket.create('inet', IPPROTO_ICMP, options as unknown as s.RawSocketOptions),
      ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    }
    const hostile = {
      get headerIncluded(): boolean {
        throw new Error('getter');
      },
    };
    expect(() => s.RawSocket.create('inet', IPPROTO_ICMP, hostile)).toThrow('getter');
  });
});
