import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

// Ports come from below the kernel's ephemeral range (Linux: 32768–60999 by
// default). A port the kernel picked for listen(0), as before, could be picked
// again for any other process's listen(0) or outgoing connection between this
// check and the test's own listen: seen in CI, the port meant for one API of
// a fault test answered 405 from another process, and the API itself exited
// with EADDRINUSE. Below that range, only another
// freePort() can choose the same port, by chance; within this process, a port
// is never handed out twice.
const FIRST = 10_000;
const handedOut = new Set<number>();

/** The first port of the kernel's ephemeral range, or null where it cannot be read (not Linux). */
function ephemeralStart(): number | null {
  try {
    const first = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return first > FIRST + 1000 ? first : null;
  } catch {
    return null;
  }
}
const below = ephemeralStart();

/** Listens on `port` (0: one the kernel picks) and closes; the port, or null when it is taken. */
function tryListen(port: number): Promise<number | null> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as { port: number };
      server.close(() => resolve(bound));
    });
  });
}

/** A port nothing listens on right now, not handed out before by this process. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 100; tries++) {
    const port = await tryListen(below ? randomInt(FIRST, below) : 0);
    if (port === null || handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('freePort: no free port found in 100 tries');
}
