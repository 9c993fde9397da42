// Every program in examples/ compiles against the built package and runs, so none can rot.
// Examples that need what a system may refuse (a private network namespace, raw sockets,
// unavailable kernel features) print "skipped: <why>" instead; where this machine
// allows the thing, the test insists that the example really ran.
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { labSupport } from '../../lib/tools/lab/index.js';

const root = join(__dirname, '..', '..');
const built = join(root, 'build', 'examples');

const unshareWorks = spawnSync('unshare', ['-rn', 'true']).status === 0;
// A user namespace gives CAP_NET_ADMIN over its own network, not over files: opening
// /dev/net/tun still needs its mode to let this user read and write it (often 0666; 0600 in
// some containers, where only root can).
const tunOpens = (() => {
  try {
    accessSync('/dev/net/tun', constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
})();

// The lab's examples make network namespaces in-process: root, or a user namespace around the run.
const labWorks = labSupport().ok;
// …and a userspace link, /dev/net/tun too.
const userspaceLinkWorks = labSupport('userspace').ok;

/** What each example must print; `skipAllowed` says whether it may skip here. */
const cases: Record<string, { expect: (RegExp | string)[]; skipAllowed?: boolean }> = {
  '01-fd-is-a-number': {
    expect: [
      /socket\(AF_INET, SOCK_STREAM\) +-> \d+/,
      /close\((\d+)\), then socket\(\) again -> \1: the lowest free number is reused/,
      'recv(',
      '"written with fs.writeSync"',
      /dup\(\d+\) -> \d+; \/proc\/self\/fd says both are socket:\[\d+\]/,
      /wrote: "hello from child \d+ on its fd 3"/,
      /unix\/stream +CONNECTED/,
    ],
  },
  '02-stream-datagram-seqpacket': {
    expect: [
      'recv with a 64-byte buffer: "onetwothree"',
      'read 4 bytes at a time: "onet", "woth", "ree"',
      'recv with a 64-byte buffer: "one", "two", "three"\n  the same again, read 4 bytes at a time: "one", "two", "thre" (of 5: the rest is gone)',
      'after the peer closes, recv returns 0',
    ],
  },
  '03-kernel-buffers': {
    expect: [
      /sent +4096 bytes: receiver's queue \(SIOCINQ\) +\d+, sender's queue \(SIOCOUTQ\) +\d+/,
      /sender's queue \(SIOCOUTQ\) +[1-9]\d*\n/,
      /send -> EAGAIN after \d+ bytes/,
      /now SIOCINQ is 0/,
      /the kernel dropped [1-9]\d* \(\/proc\/net\/udp\)/,
      /SO_RXQ_OVFL = [1-9]\d*/,
    ],
  },
  '04-ports-and-demux': {
    expect: [
      /binding a second one there:\n {2}bind EADDRINUSE 127\.0\.0\.1:\d+/,
      'the same port on 127.0.0.2: ok',
      'the first socket gets ["to .1"], the second ["to .2"]',
      /TIME_WAIT \(no socket: inode 0\)/,
      /without SO_REUSEADDR: bind EADDRINUSE/,
      'with SO_REUSEADDR: ok',
      /arrive as \d+ \+ \d+ \+ \d+/,
      /one sender, ten datagrams: (0 \+ 0 \+ 10|0 \+ 10 \+ 0|10 \+ 0 \+ 0)/,
    ],
  },
  '05-lossy-link': {
    skipAllowed: !unshareWorks || !tunOpens,
    expect: [
      /UDP: sent 40 numbered datagrams, \d+ arrived/,
      /TCP: sent \d+ bytes, received \d+ bytes, all in order/,
      /retransmitted [1-9]\d* segments/,
    ],
  },
  '06-raw-sockets': {
    skipAllowed: !unshareWorks,
    expect: [
      /version +4/,
      /protocol +1 \(ICMP\)/,
      /checksum +0x[0-9a-f]{4} \(correct\)/,
      /type +0 \(echo reply\)/,
      /ping socket/,
    ],
  },
  '07-fd-passing': {
    skipAllowed: false,
    expect: [
      /pidfd_getfd\(pidfd, \d+\) -> \d+/,
      'read through the borrowed fd: "written by the child"',
      /recvmsg on its fd 3 -> 1 byte and an fd, numbered \d+ in this process/,
      'the child read: "a secret for the child"',
    ],
  },
  '08-poll-event-loop': {
    expect: [
      /round 1: poll\(\[\d+:POLLIN \d+:POLLOUT \d+:POLLOUT\]\)/,
      'the echo: "hello from client A"',
      'the echo: "hello from client B"',
      'the loop ends',
    ],
  },
  '09-epoll-event-loop': {
    expect: [
      /epoll fd \d+ watches 3\nround 1: epoll_wait\(\) -> [1-3] ready of 3 watched/,
      /accept\(\) -> fd \d+, registered EPOLLIN\|EPOLLET\|EPOLLRDHUP/,
      'the echo: "hello from client A"',
      'the echo: "hello from client B"',
      /EPOLLIN\|EPOLLRDHUP\n +recv\(\) -> 0: the client closed/,
      'the loop ends',
    ],
  },
  '10-two-hosts-and-a-router': {
    skipAllowed: !labWorks,
    expect: [
      /a: fd \d+, r: fd \d+, b: fd \d+/,
      'a eth0 10.0.1.2/24  <->  r eth0 10.0.1.1/24',
      'received "hello" from 10.0.1.2, TTL 63',
      'a received "HELLO" from 10.0.2.2',
      'TTL 1: EHOSTUNREACH from 10.0.1.1: ICMP 11/0, time exceeded in transit',
      'TTL 2: ECONNREFUSED from 10.0.2.2: ICMP 3/3, port unreachable',
      'with no route for it: sendto -> ENETUNREACH',
      'ENETUNREACH from 10.0.1.1: ICMP 3/0, net unreachable',
    ],
  },
  '11-mtu-and-pmtu': {
    skipAllowed: !labWorks,
    expect: [
      /captured on a's eth0: 1 packet\(s\)\n +1428 bytes, id \d+, fragment offset 0\n/,
      /captured on b's eth0: 2 packet\(s\)\n +1276 bytes, id \d+, fragment offset 0, more fragments \(MF\)\n +172 bytes, id \d+, fragment offset 1256\n/,
      'received one datagram of 1400 bytes',
      'IP_MTU of the connected socket before: 1500',
      'EMSGSIZE from 10.0.1.1, ICMP 3/4 (fragmentation needed)\n    ee_info 1280',
      'IP_MTU of the connected socket now: 1280',
      'again -> EMSGSIZE, at once',
      'b received 1252',
      /connected: TCP_INFO pmtu 1500, snd_mss 1448; TCP_MAXSEG 1448/,
      /after 262144 bytes: TCP_INFO pmtu 1280, snd_mss 1228; TCP_MAXSEG 1228; retransmitted [1-9]\d*/,
    ],
  },
  '12-udp-retries': {
    skipAllowed: !userspaceLinkWorks,
    expect: [
      '20 requests for n² (n = 1 to 20), ten at a time: 20 answered correctly',
      // The slow answer to 7, and at least one retry for a loss.
      /needed more than one try:\n {2}request \d+: \d tries, answered by try \d\n {2}request \d+: \d tries/,
      /answers in the order they arrived \(request\/try\):\n {2}(\d+\/\d+ ){11}/,
      /nobody waited any more, dropped: \d+\/\d+/,
      /a->b: \d+ packets, \d+ lost, \d+ sent ahead of the others/,
    ],
  },
  '13-tcp-over-a-bad-link': {
    skipAllowed: !userspaceLinkWorks,
    expect: [
      'b read 262144 bytes, all in order',
      /[1-9]\d* of them carried bytes sent before: retransmissions/,
      /[1-9]\d* lost on the way \(the link counted [1-9]\d*\)/,
      /[1-9]\d* arrived while bytes before them were missing/,
      /a's TCP_INFO: [1-9]\d* retransmitted of \d+ data segments/,
      /b's TCP_INFO: [1-9]\d* segments received out of order/,
    ],
  },
};

beforeAll(() => {
  // The examples import 'sockfd', which resolves to this package's dist/ (npm test builds it).
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'examples/tsconfig.json'],
    { cwd: root, stdio: 'pipe' },
  );
}, 60_000);

describe('examples/', () => {
  it('has a test case for every example, and an example for every case', () => {
    const files = readdirSync(join(root, 'examples'))
      .filter((f) => /^\d\d-.*\.ts$/.test(f))
      .map((f) => f.slice(0, -3));
    expect(files.sort()).toEqual(Object.keys(cases).sort());
  });

  it.each(Object.entries(cases))(
    '%s runs and shows what it teaches',
    { timeout: 90_000 },
    (name, want) => {
      const r = spawnSync(process.execPath, [join(built, `${name}.js`)], {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const skipped = /^skipped: (.+)$/m.exec(r.stdout);
      if (skipped !== null) {
        expect(want.skipAllowed, `${name} skipped: ${skipped[1]}`).toBe(true);
        console.warn(`${name}: ${skipped[0]}`);
        return;
      }
      for (const e of want.expect) {
        if (typeof e === 'string') expect(r.stdout).toContain(e);
        else expect(r.stdout).toMatch(e);
      }
    },
  );

  it('docs/guide.md is rendered from the current template and examples (npm run docs:guide)', () => {
    const guide = readFileSync(join(root, 'docs', 'guide.md'), 'utf8');
    const template = readFileSync(join(root, 'docs', 'guide.template.md'), 'utf8');
    const stale = 'docs/guide.md is out of date: run npm run docs:guide';
    for (const name of Object.keys(cases)) {
      expect(template, `the guide has no chapter for ${name}`).toContain(
        `<!-- example: ${name} -->`,
      );
      const code = readFileSync(join(root, 'examples', `${name}.ts`), 'utf8').trimEnd();
      expect(guide.includes(code), `${stale} (${name})`).toBe(true);
    }
    for (const line of template.split('\n')) {
      if (!line.startsWith('<!-- example:')) expect(guide.includes(line), stale).toBe(true);
    }
  });

  it.each(Object.entries(cases))("the guide's output of %s shows what it teaches", (name, want) => {
    const guide = readFileSync(join(root, 'docs', 'guide.md'), 'utf8');
    // The output block that follows "Output of `node build/examples/<name>.js`:".
    const shown = new RegExp(
      `^Output of \`node build/examples/${name}\\.js\`:\n\n(\`{3,})text\n([^]*?)\n\\1$`,
      'm',
    ).exec(guide);
    expect(shown, `docs/guide.md shows no output for ${name}`).not.toBeNull();
    const output = shown![2]!;
    expect(output, 'the guide was rendered where the example could run').not.toMatch(/^skipped:/m);
    for (const e of want.expect) {
      if (typeof e === 'string') expect(output).toContain(e);
      else expect(output).toMatch(e);
    }
  });
});
