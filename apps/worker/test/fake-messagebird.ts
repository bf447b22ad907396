// MessageBird faked with nock for a whole test file: nothing leaves the machine
// (MariaDB and Redis on 127.0.0.1 still answer), and no interceptor a test left
// unused leaks into the next.
import nock from 'nock';

export const MB = 'https://rest.messagebird.com';

export function fakeMessageBird(t: { teardown(fn: () => void): void; afterEach(fn: () => void): void }): void {
  nock.disableNetConnect();
  nock.enableNetConnect(/^(127\.0\.0\.1|localhost)/);
  t.teardown(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });
  t.afterEach(() => {
    nock.cleanAll();
  });
}
