// Bird faked with nock, accepting every SMS (its 202 `SmsMessage`, shortened):
// for the failover tests here and in test-faults/, whose workers run in the
// test's process so that nock sees their requests.
import nock from 'nock';

export const BIRD_KEY = 'bk_eu1_test0123456789';
export const BIRD_URL = 'https://eu1.platform.bird.com';

export interface BirdSms {
  /** Our message id, from the metadata the worker sent. */
  id: string;
  text: string;
}

/** Bird accepts every SMS from now on; each lands in `accepted`. */
export function birdAccepts(accepted: BirdSms[]): void {
  nock(BIRD_URL)
    .persist()
    .post('/v1/sms/messages', (body: { text: string; metadata: { message_id: string } }) => {
      accepted.push({ id: body.metadata.message_id, text: body.text });
      return true;
    })
    .reply(202, (_uri, body) => ({
      id: `bird-${(body as { metadata: { message_id: string } }).metadata.message_id}`,
      status: 'accepted',
    }));
}
