// sendfile: a file's bytes to a socket, copied inside the kernel.
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import * as s from '../../lib/index.js';
import { type ArgErrorCase, expectArgError } from '../helpers/arg-errors.js';
import { pair } from '../helpers/fds.js';

const { AF_UNIX, SOCK_STREAM, SOCK_NONBLOCK } = s.constants;

const dir = mkdtempSync(join(tmpdir(), 'sockfd-sendfile-'));
const path = join(dir, 'data');
const content = Buffer.from(Array.from({ length: 100_000 }, (_, i) => i % 251));
writeFileSync(path, content);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Opens the test file for one test and closes it after `use`. */
function withFile<T>(use: (fd: number) => T): T {
  const fd = openSync(path, 'r');
  try {
    return use(fd);
  } finally {
    closeSync(fd);
  }
}

function received(fd: number, n: number): Buffer {
  const buf = Buffer.alloc(n);
  let got = 0;
  while (got < n) got += s.recv(fd, buf.subarray(got));
  return buf;
}

describe('sendfile', () => {
  it('sends from an offset, leaving the file position alone, and says where to go on', () => {
    const [a, b] = pair(AF_UNIX, SOCK_STREAM);
    withFile((file) => {
      expect(s.sendfile(a, file, 1000, 300)).toEqual({ bytes: 300, offset: 1300 });
      expect(received(b, 300)).toEqual(content.subarray(1000, 1300));
      // The position is still at the start: a plain read gets the first bytes.
      const head = Buffer.alloc(4);
      readSync(file, head);
      expect(head).toEqual(content.subarray(0, 4));
    });
  });

  it('without an offset, reads from the file position and advances it', () => {
    const [a, b] = pair(AF_UNIX, SOCK_STREAM);
    withFile((file) => {
      expect(s.sendfile(a, file, null, 10)).toEqual({ bytes: 10, offset: null });
      expect(s.sendfile(a, file, null, 10)).toEqual({ bytes: 10, offset: null });
      expect(received(b, 20)).toEqual(content.subarray(0, 20));
    });
  });

  it('returns 0 bytes at the end of the file', () => {
    const [a] = pair(AF_UNIX, SOCK_STREAM);
    withFile((file) => {
      expect(s.sendfile(a, file, content.length, 10)).toEqual({
        bytes: 0,
        offset: content.length,
      });
    });
  });

  it('throws EAGAIN on a full nonblocking socket, and EBADF on a closed file', () => {
    const [a] = pair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK);
    withFile((file) => {
      let off = 0;
      let err: unknown;
      for (let i = 0; i < 1000 && err === undefined; i++) {
        try {
          off = s.sendfile(a, file, off % 90_000, 10_000).offset!;
        } catch (e) {
          err = e;
        }
      }
      expect(err).toMatchObject({ code: 'EAGAIN', syscall: 'sendfile' });
    });
    const closed = openSync(path, 'r');
    closeSync(closed);
    expect(() => s.sendfile(a, closed, 0, 1)).toThrow(
      expect.objectContaining({ code: 'EBADF', syscall: 'sendfile' }),
    );
  });

  const bad: ArgErrorCase[] = [
    [
      'string outFd',
      () => s.sendfile('1' as never, 0, 0, 1),
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
      /"outFd"/,
    ],
    ['negative inFd', () => s.sendfile(1, -1, 0, 1), 'RangeError', 'ERR_OUT_OF_RANGE', /"inFd"/],
    [
      'negative offset',
      () => s.sendfile(1, 0, -1, 1),
      'RangeError',
      'ERR_OUT_OF_RANGE',
      /"offset"/,
    ],
    [
      'fractional offset',
      () => s.sendfile(1, 0, 1.5, 1),
      'RangeError',
      'ERR_OUT_OF_RANGE',
      /"offset"/,
    ],
    [
      'count a string',
      () => s.sendfile(1, 0, 0, '1' as never),
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
      /"count"/,
    ],
    [
      'count past INT32_MAX',
      () => s.sendfile(1, 0, 0, 2 ** 31),
      'RangeError',
      'ERR_OUT_OF_RANGE',
      /"count"/,
    ],
  ];
  it.each(bad)('%s', (_name, call, type, code, names) => {
    expectArgError(call, type, code, names);
  });
});
