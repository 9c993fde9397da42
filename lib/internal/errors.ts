// The error class for failed syscalls and the argument validators, shaped like Node's own.
import { native } from '../sys/native.js';

const errnoNames = native.errnoNames;

/** The errno name for an errno value, positive or negative ('EADDRINUSE'), from the addon's table. */
export function errnoName(errno: number): string {
  validateInt32(errno, 'errno');
  return errnoNames[Math.abs(errno)] ?? `Unknown system error ${Math.abs(errno)}`;
}

/** Where a failed call was aimed, for the message and the error's fields. */
export interface ErrorTarget {
  address?: string;
  port?: number;
  path?: string;
}

/**
 * A failed syscall, shaped like Node's own system errors: `code` ('EADDRINUSE'), `errno`
 * (negative, as Node reports it), `syscall` ('bind'), and for calls that take an address the
 * `address`/`port` or unix `path`. The message reads `bind EADDRINUSE 127.0.0.1:8080`.
 */
export class SocketError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  readonly address?: string;
  readonly port?: number;
  readonly path?: string;

  constructor(negErrno: number, syscall: string, target?: ErrorTarget) {
    const code = errnoName(negErrno);
    if (typeof syscall !== 'string') throw invalidArgType('syscall', 'of type string', syscall);
    const { address, port, path } = readTarget(target);
    let where = '';
    if (path !== undefined) where = ` ${path}`;
    else if (address !== undefined) {
      const host = address.includes(':') ? `[${address}]` : address;
      where = port !== undefined ? ` ${host}:${port}` : ` ${host}`;
    }
    super(`${syscall} ${code}${where}`);
    this.name = 'SocketError';
    this.code = code;
    this.errno = -Math.abs(negErrno);
    this.syscall = syscall;
    if (address !== undefined) this.address = address;
    if (port !== undefined) this.port = port;
    if (path !== undefined) this.path = path;
  }
}

// Reads each field of an error target once and checks its type.
function readTarget(target: unknown): ErrorTarget {
  if (target === undefined) return {};
  if (typeof target !== 'object' || target === null) {
    throw invalidArgType('target', 'an object', target);
  }
  const { address, port, path } = target as Record<string, unknown>;
  if (address !== undefined && typeof address !== 'string') {
    throw invalidArgType('target.address', 'of type string', address);
  }
  if (port !== undefined && typeof port !== 'number') {
    throw invalidArgType('target.port', 'of type number', port);
  }
  if (path !== undefined && typeof path !== 'string') {
    throw invalidArgType('target.path', 'of type string', path);
  }
  return { address, port, path };
}

/** An argument error with a Node-style `code`. */
function withCode<E extends Error>(err: E, code: string): E & { code: string } {
  return Object.assign(err, { code });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'function';
  if (typeof value === 'object') {
    const name = (value.constructor as { name?: string } | undefined)?.name;
    return name ? `an instance of ${name}` : 'an object';
  }
  // Only primitives reach here: string, number, bigint, boolean or symbol.
  let shown =
    typeof value === 'symbol' ? value.toString() : `${value as string | number | bigint | boolean}`;
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  if (typeof value === 'string') shown = `'${shown}'`;
  return `type ${typeof value} (${shown})`;
}

export function invalidArgType(name: string, expected: string, value: unknown): TypeError {
  return withCode(
    new TypeError(`The "${name}" argument must be ${expected}. Received ${describe(value)}`),
    'ERR_INVALID_ARG_TYPE',
  );
}

export function outOfRange(name: string, range: string, value: unknown): RangeError {
  return withCode(
    new RangeError(
      `The value of "${name}" is out of range. It must be ${range}. Received ${String(value)}`,
    ),
    'ERR_OUT_OF_RANGE',
  );
}

export function invalidArgValue(name: string, value: unknown, reason: string): TypeError {
  return withCode(
    new TypeError(`The argument '${name}' ${reason}. Received ${describe(value)}`),
    'ERR_INVALID_ARG_VALUE',
  );
}

/** Throws unless `value` is an integer in [min, max]. */
export function validateInt(
  value: unknown,
  name: string,
  min: number,
  max: number,
): asserts value is number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw outOfRange(name, `an integer >= ${min} and <= ${max}`, value);
  }
}

const INT32_MAX = 0x7fffffff;
const INT32_MIN = -0x80000000;

/** File descriptors are non-negative C ints. */
export function validateFd(fd: unknown, name = 'fd'): asserts fd is number {
  validateInt(fd, name, 0, INT32_MAX);
}

/** A C int: flags, levels, option names and values. */
export function validateInt32(value: unknown, name: string): asserts value is number {
  validateInt(value, name, INT32_MIN, INT32_MAX);
}

/** A caller-owned Buffer, TypedArray or DataView, read or written in place. */
export function validateView(value: unknown, name: string): asserts value is ArrayBufferView {
  if (!ArrayBuffer.isView(value)) {
    throw invalidArgType(name, 'an instance of Buffer, TypedArray, or DataView', value);
  }
}

/**
 * A view's length in bytes, 0 once its buffer is detached. A TypedArray reads 0 then, but a
 * DataView throws a TypeError (with no code), as it does when a resizable buffer shrank below
 * it; the native layer sees such a view as empty too.
 */
export function viewByteLength(view: ArrayBufferView): number {
  try {
    return view.byteLength;
  } catch {
    return 0;
  }
}

/** Turns a negative native result into a thrown SocketError; returns non-negative results. */
export function check(r: number, syscall: string, target?: ErrorTarget): number {
  if (r < 0) throw new SocketError(r, syscall, target);
  return r;
}

/**
 * `check` for a native call whose value may be any int32 (getsockoptInt): it reports a failure
 * below the int32 range, as -errno - 2^32.
 */
export function checkInt(r: number, syscall: string): number {
  if (r < -0x80000000) throw new SocketError(r + 2 ** 32, syscall);
  return r;
}

/** The error a call on a closed socket, or a wait the socket's close cut short, rejects with. */
export function socketClosedError(): Error {
  return Object.assign(new Error('Socket is closed'), { code: 'ERR_SOCKET_CLOSED' });
}

/** A promise rejected with `reason`, as an async function rejects with what it throws. */
export function rejection<T = never>(reason: unknown): Promise<T> {
  // Passed on untouched, as `async` would: an abort signal's reason may be any value.
  // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
  return Promise.reject(reason);
}
