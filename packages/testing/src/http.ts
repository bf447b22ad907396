// Talking to a real API process over HTTP, timed.

export interface Answer {
  status: number;
  body: Record<string, unknown> | null;
  headers: Headers;
  ms: number;
}

export async function call(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const started = performance.now();
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  const ms = performance.now() - started;
  let parsed: Record<string, unknown> | null = null;
  if (text) {
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      parsed = { unparsable: text.slice(0, 200) };
    }
  }
  return { status: res.status, body: parsed, headers: res.headers, ms };
}

/** The header that carries a session. */
export const session = (id: string) => ({ 'x-session-id': id });

/**
 * A new account on a running API, signed in: its id and session. `send` is
 * the caller's `call` (a contract-checked one, say); `login` must be unique.
 */
export async function newAccount(
  url: string,
  login: string,
  send: typeof call = call,
): Promise<{ userId: string; sessionId: string }> {
  const password = 'correct horse battery';
  const signup = await send(url, 'POST', '/api/v1/signup', { login, name: login, password });
  if (signup.status !== 201) throw new Error(`signup: ${JSON.stringify(signup.body)}`);
  const signin = await send(url, 'POST', '/api/v1/signin', { login, password });
  if (signin.status !== 200) throw new Error(`signin: ${JSON.stringify(signin.body)}`);
  return { userId: signin.body!.user_id as string, sessionId: signin.body!.id as string };
}
