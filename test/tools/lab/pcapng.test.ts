// The pcapng writer and reader agree, block for block, without any capture or privilege.
import { describe, expect, it } from 'vitest';

import {
  LINKTYPE_ETHERNET,
  enhancedPacket,
  interfaceDescription,
  readPcapng,
  sectionHeader,
} from '../../../lib/tools/lab/pcapng.js';

describe('pcapng', () => {
  it('reads back interfaces and packets with nanosecond timestamps and directions', () => {
    const ts = 1_700_000_000_123_456_789n;
    const bytes = Buffer.concat([
      sectionHeader(),
      interfaceDescription({ name: 'lo', linkType: LINKTYPE_ETHERNET, snapLength: 65535 }),
      interfaceDescription({ name: 'veth0', linkType: LINKTYPE_ETHERNET, snapLength: 65535 }),
      // Odd lengths: the data is padded to 32 bits and the reader must skip the padding.
      enhancedPacket({
        interfaceId: 1,
        timestampNs: ts,
        data: Buffer.from('abcde'),
        originalLength: 9,
        direction: 'outbound',
        receptionType: 0,
      }),
      enhancedPacket({
        interfaceId: 0,
        timestampNs: ts + 1n,
        data: Buffer.from('xyz'),
        originalLength: 3,
        direction: 'inbound',
        receptionType: 3,
      }),
    ]);
    expect(bytes.length % 4).toBe(0);
    const file = readPcapng(bytes);
    expect(file.interfaces).toEqual([
      { name: 'lo', linkType: LINKTYPE_ETHERNET, snapLength: 65535 },
      { name: 'veth0', linkType: LINKTYPE_ETHERNET, snapLength: 65535 },
    ]);
    expect(file.packets).toEqual([
      {
        interfaceId: 1,
        timestampNs: ts,
        data: Uint8Array.from(Buffer.from('abcde')),
        originalLength: 9,
        direction: 'outbound',
        receptionType: 0,
      },
      {
        interfaceId: 0,
        timestampNs: ts + 1n,
        data: Uint8Array.from(Buffer.from('xyz')),
        originalLength: 3,
        direction: 'inbound',
        receptionType: 3,
      },
    ]);
  });

  it('refuses a truncated file and a packet of an undeclared interface', () => {
    const whole = Buffer.concat([
      sectionHeader(),
      interfaceDescription({ name: 'lo', linkType: 1, snapLength: 64 }),
    ]);
    expect(() => readPcapng(whole.subarray(0, whole.length - 4))).toThrow(RangeError);
    const orphan = enhancedPacket({
      interfaceId: 3,
      timestampNs: 0n,
      data: new Uint8Array(0),
      originalLength: 0,
      direction: 'unknown',
      receptionType: 0,
    });
    expect(() => readPcapng(Buffer.concat([whole, orphan]))).toThrow(/interface id/);
    expect(() => readPcapng('nope' as never)).toThrow(/"bytes"/);
  });
});
