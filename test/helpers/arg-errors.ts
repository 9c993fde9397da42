// The argument-error runner: a bad argument fails before any syscall with a TypeError or
// RangeError whose code is Node's and whose message names the argument.
import { expect } from 'vitest';

/** [title, the failing call, error class name, code, what the message must name]. */
export type ArgErrorCase = [string, () => unknown, 'TypeError' | 'RangeError', string, RegExp];

/** Runs `call` and checks that it throws the argument error described. */
export function expectArgError(
  call: () => unknown,
  type: string,
  code: string,
  names: RegExp,
): void {
  let err: unknown;
  try {
    call();
  } catch (e) {
    err = e;
  }
  expect(err, 'the call should throw').toBeDefined();
  expect((err as Error).constructor.name).toBe(type);
  expect(err).toMatchObject({ code });
  expect((err as Error).message).toMatch(names);
}
