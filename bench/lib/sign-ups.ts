// Sign-ups and sign-ins through the API before its rows. Each hashes a password
// with scrypt, 16 MiB of native memory on one of libuv's threads: without them
// the API's peak RSS would leave out what a production API spends most of its
// memory on (docs/monitoring.md, "Memory").
export const SIGN_UPS = 40;

export async function signUpsAndIns(url: string, count = SIGN_UPS): Promise<void> {
  const post = async (path: string, body: object) => {
    const res = await fetch(`${url}/api/v1/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`bench sign-up: POST ${path} answered ${res.status} ${await res.text()}`);
  };
  const password = 'bench password, not a common one';
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const login = `bench-signup-${i}`;
      await post('signup', { login, name: `Bench ${i}`, password });
      await post('signin', { login, password });
    }),
  );
}
