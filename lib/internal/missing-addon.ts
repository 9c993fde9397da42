// The error for an addon that was never built, in place of bindings' list of the 13 paths it
// tried: why the build is missing and how to make it. lib/sys/native.ts throws it.
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

function onPath(name: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir || '.', name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

// What node-gyp runs: $CXX or make's default g++, make, and $PYTHON, python3 or python.
function missingTools(): string[] {
  const compiler = process.env.CXX?.split(' ')[0] || 'g++';
  const missing = [compiler, 'make'].filter((tool) => !onPath(tool));
  const python = process.env.PYTHON;
  if (!(python ? existsSync(python) || onPath(python) : onPath('python3') || onPath('python'))) {
    missing.push('python3');
  }
  return missing;
}

/** The error for a package root with no built addon, with bindings' own error as its cause. */
export function missingAddonError(root: string, cause: unknown): Error {
  const missing = missingTools();
  const started = existsSync(join(root, 'build', 'Makefile'));
  const why = [
    started
      ? `A build was started in ${join(root, 'build')} and did not finish.`
      : 'The install script that builds it (node-gyp rebuild) did not run: install scripts were ' +
        'off (npm install --ignore-scripts; pnpm 10 runs them only for packages you approve), ' +
        'or it failed.',
  ];
  if (missing.length > 0) {
    why.push(
      `It cannot build here: node-gyp needs g++, make and python3; not on PATH: ${missing.join(', ')}.`,
    );
  }
  const message = [
    `sockfd: the native addon is not built (no sockfd.node under ${join(root, 'build')}).`,
    ...why,
    'To build it:',
    ...(missing.length > 0
      ? [`  install ${missing.join(', ')} (Debian: apt-get install g++ make python3)`]
      : []),
    '  npm rebuild sockfd     (add --foreground-scripts to see the compiler)',
    '  pnpm approve-builds    (pnpm 10: approve sockfd, then pnpm rebuild sockfd)',
    'The paths that were searched are in this error’s cause.',
  ].join('\n');
  return Object.assign(new Error(message, { cause }), { code: 'ERR_SOCKFD_ADDON_NOT_BUILT' });
}
