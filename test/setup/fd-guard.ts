// Leak guard for every test file: the set of open fds after the file's tests must equal the set
// before them. Runs in the file's own process (vitest's forks pool).
import { readdirSync, readlinkSync } from 'node:fs';
import { afterAll, beforeAll, expect } from 'vitest';

function openFds(): Map<number, string> {
  const fds = new Map<number, string>();
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      fds.set(Number(name), readlinkSync(`/proc/self/fd/${name}`));
    } catch {
      // The fd readdir itself used is already closed when we look at it.
    }
  }
  return fds;
}

// Every open fd, with what it points at, so a leak report names the socket or file.
function openFdList(): string[] {
  return [...openFds()].map(([fd, target]) => `${fd} -> ${target}`).sort();
}

let before: string[] = [];

beforeAll(() => {
  before = openFdList();
});

afterAll(() => {
  expect(openFdList(), 'fds left open by this test file').toEqual(before);
});
