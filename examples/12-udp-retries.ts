// 12. A protocol over UDP must repair what UDP does not. A request or its answer may be lost,
// and answers may come back in another order than their requests went out. This little
// protocol numbers each request, waits a while for its answer, sends it again when none comes
// (waiting twice as long each time), and matches answers to requests by number, so that a late
// answer to an earlier try is recognised and dropped rather than taken for something new.
//
// Between the client on a and the server on b is a userspace link: a thread of this process
// carries the packets between a TUN device in each host, drops 10% of them, delays the rest
// 5 ms, and lets 10% skip the delay so that they overtake the packets before them. The choices
// are seeded, so every run loses the same packets.
import { type DatagramSocket, type InetAddress, type ReceivedMessage } from 'sockfd';
import { Lab, labSupport } from 'sockfd/lab';

import { say, skip, sleep } from './support/run.js';

const SERVER = { family: 'inet', address: '10.0.5.2', port: 5300 } as const;
const FIRST_TIMEOUT_MS = 40; // Four round trips of 5 + 5 ms.
const TRIES = 6;
const SLOW_MS = 60;

/**
 * The server: answers "<id>/<try> <n>" with "<id>/<try> <n²>", every time it is asked. It is
 * slow to answer n = 7, slower than the client waits, as a busy server sometimes is.
 */
async function serve(sock: DatagramSocket): Promise<void> {
  const buf = Buffer.alloc(512);
  for (;;) {
    let m: ReceivedMessage;
    try {
      m = await sock.recvFrom(buf);
    } catch {
      return; // Closed: the lab is ending.
    }
    const [tag, n] = buf.toString('utf8', 0, m.bytes).split(' ');
    const from = m.address as InetAddress;
    // The socket may be closed by the time a slow answer goes: the lab has ended.
    const answer = (): Promise<unknown> =>
      sock.sendTo(`${tag} ${Number(n) ** 2}`, from).catch(() => {});
    if (Number(n) === 7) setTimeout(() => void answer(), SLOW_MS);
    else await answer();
  }
}

interface Outcome {
  id: number;
  tries: number;
  answer: number | null;
  /** Which try's answer came first: any will do, they all ask the same. */
  answeredTry?: number;
}

/** The client: one socket, one reader, and any number of requests waiting for their answers. */
class Client {
  readonly #sock: DatagramSocket;
  readonly #waiting = new Map<number, (answer: { tryNo: number; value: number }) => void>();
  readonly arrivals: string[] = []; // Every answer that came, in order: "id/try".
  readonly ignored: string[] = []; // Answers that came when nobody waited for them any more.

  constructor(sock: DatagramSocket) {
    this.#sock = sock;
    void this.#read();
  }

  async #read(): Promise<void> {
    const buf = Buffer.alloc(512);
    for (;;) {
      let bytes: number;
      try {
        bytes = (await this.#sock.recvFrom(buf)).bytes;
      } catch {
        return; // Closed: the lab is ending.
      }
      const [tag = '', value] = buf.toString('utf8', 0, bytes).split(' ');
      const [id, tryNo] = tag.split('/').map(Number) as [number, number];
      this.arrivals.push(tag);
      const resolve = this.#waiting.get(id);
      if (resolve === undefined) this.ignored.push(tag);
      else resolve({ tryNo, value: Number(value) });
    }
  }

  /** Asks for n², trying up to TRIES times. */
  async square(id: number, n: number): Promise<Outcome> {
    const answered = new Promise<{ tryNo: number; value: number }>((resolve) =>
      this.#waiting.set(id, resolve),
    );
    let timeout = FIRST_TIMEOUT_MS;
    try {
      for (let t = 1; t <= TRIES; t++) {
        await this.#sock.sendTo(`${id}/${t} ${n}`, SERVER);
        const r = await Promise.race([answered, sleep(timeout).then(() => null)]);
        if (r !== null) return { id, tries: t, answer: r.value, answeredTry: r.tryNo };
        timeout *= 2; // Back off: the network may be busy rather than lossy.
      }
      return { id, tries: TRIES, answer: null };
    } finally {
      this.#waiting.delete(id);
    }
  }
}

async function main(): Promise<void> {
  const support = labSupport('userspace'); // Namespaces, and /dev/net/tun for the link.
  if (!support.ok) skip(support.reason);

  await using lab = await Lab.create();
  const a = await lab.host('a');
  const b = await lab.host('b');
  const impair = { loss: 0.1, reorder: 0.1, delayMs: 5, seed: 4 };
  const link = await lab.link(a, b, {
    kind: 'userspace',
    addresses: ['10.0.5.1/24', '10.0.5.2/24'],
    impair,
  });
  say('a --- b over a userspace link: 10% of packets lost, 5 ms of delay, 10% sent ahead of it');

  const server = b.DatagramSocket.bound(SERVER);
  void serve(server);
  const client = new Client(
    a.DatagramSocket.bound({ family: 'inet', address: '10.0.5.1', port: 0 }),
  );

  // Twenty requests, ten at a time, as a client with work to do would send them: the answers
  // of a batch come back close together, where the link can reorder them.
  const outcomes: Outcome[] = [];
  for (const first of [1, 11]) {
    const batch = [...Array(10).keys()].map((k) => client.square(first + k, first + k));
    outcomes.push(...(await Promise.all(batch)));
  }
  await sleep(300); // Let late answers to earlier tries arrive, to show them.

  const answered = outcomes.filter((o) => o.answer === o.id ** 2).length;
  say('');
  say(`20 requests for n² (n = 1 to 20), ten at a time: ${answered} answered correctly`);
  say('needed more than one try:');
  for (const o of outcomes.filter((x) => x.tries > 1)) {
    say(`  request ${o.id}: ${o.tries} tries, answered by try ${o.answeredTry}`);
  }
  say('answers in the order they arrived (request/try):');
  for (let k = 0; k < client.arrivals.length; k += 12) {
    say(`  ${client.arrivals.slice(k, k + 12).join(' ')}`);
  }
  say(
    `answers that came when nobody waited any more, dropped: ${client.ignored.join(' ') || 'none'}`,
  );
  const { aToB, bToA } = link.stats();
  say('the link, by its own count:');
  for (const [dir, s] of [
    ['a->b', aToB],
    ['b->a', bToA],
  ] as const) {
    say(`  ${dir}: ${s.received} packets, ${s.lost} lost, ${s.reordered} sent ahead of the others`);
  }
}

void main();
