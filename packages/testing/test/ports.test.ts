// freePort: ports no other process can be given meanwhile, never the same twice.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { freePort } from '../src/ports';

const ephemeralStart = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);

t.test('ports come from below the kernel ephemeral range, each once', async (t) => {
  const ports = [];
  for (let i = 0; i < 200; i++) ports.push(await freePort());
  t.equal(new Set(ports).size, 200, 'no port twice');
  t.ok(
    ports.every((p) => p >= 1024 && p < ephemeralStart),
    `all below ${ephemeralStart}, where no listen(0) or outgoing connection of another process can take them`,
  );
});
