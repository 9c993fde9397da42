// After the whole suite: nothing the lab tests made is left in the namespace the suite ran in.
// Their hosts, veth pairs and TUN devices live in namespaces of the test processes, which go
// with the last fd; what could outlive them is an interface created in this namespace, or a
// named namespace (/run/netns, from `ip netns add`). Compared with what was there before.
import { existsSync, readdirSync } from 'node:fs';

function snapshot(): string[] {
  const list = readdirSync('/sys/class/net').map((name) => `interface ${name}`);
  if (existsSync('/run/netns')) list.push(...readdirSync('/run/netns').map((n) => `netns ${n}`));
  return list.sort();
}

export default function setup(): () => void {
  if (process.platform !== 'linux') return () => {};
  const before = new Set(snapshot());
  return () => {
    const left = snapshot().filter((x) => !before.has(x));
    if (left.length > 0) {
      // A throw here is only logged by vitest ("error during close"); the exit code fails the run.
      console.error(`the suite left network resources behind: ${left.join(', ')}`);
      process.exitCode = 1;
    }
  };
}
