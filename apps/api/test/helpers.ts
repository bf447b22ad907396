import type { Config } from '@sms/config';
import { createTestConfig, type Teardown } from '@sms/testing';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../src/app';

export interface TestApp {
  app: FastifyInstance;
  config: Config;
}

/** The API plugin on a database and queue prefix of this test file's own, closed at teardown. */
export async function buildTestApp(t: Teardown, overrides: Record<string, string> = {}): Promise<TestApp> {
  const config = await createTestConfig(t, overrides);
  const app = await buildApp(config, { logger: false });
  await app.ready();
  t.teardown(() => app.close());
  return { app, config };
}

/** A second API instance on `config`'s database, Redis and prefix, as a second process would be. */
export async function secondInstance(t: Teardown, config: Config): Promise<FastifyInstance> {
  const app = await buildApp(config, { logger: false });
  await app.ready();
  t.teardown(() => app.close());
  return app;
}

export const body = <T = Record<string, unknown>>(res: LightMyRequestResponse): T => res.json() as T;

let counter = 0;

/** Signs up a new account and signs in; returns its id and a session id. */
export async function newUser(
  app: FastifyInstance,
  options: { login?: string; password?: string } = {},
): Promise<{ userId: string; sessionId: string; login: string }> {
  const login = options.login ?? `user${process.pid}x${++counter}`;
  const password = options.password ?? 'correct horse battery';
  const signup = await app.inject({ method: 'POST', url: '/api/v1/signup', payload: { login, name: login, password } });
  if (signup.statusCode !== 201) throw new Error(`signup failed: ${signup.body}`);
  const session = await signin(app, login, password);
  return { userId: session.user_id, sessionId: session.id, login };
}

export async function signin(app: FastifyInstance, login: string, password: string) {
  const res = await app.inject({ method: 'POST', url: '/api/v1/signin', payload: { login, password } });
  if (res.statusCode !== 200) throw new Error(`signin failed: ${res.body}`);
  return res.json() as { id: string; user_id: string; admin: boolean };
}

/** Makes an account admin directly in the database (admins normally come from ADMIN_LOGIN). */
export async function makeAdmin(app: FastifyInstance, userId: string) {
  await app.prisma.account.update({ where: { id: userId }, data: { admin: true } });
}

/**
 * The whole error body `res` must carry, its correlation id taken from the
 * X-Request-Id header: compared with t.same, no key more (a stack, a query)
 * can slip through as it could past a subset match.
 */
export function errorBody(
  res: LightMyRequestResponse,
  code: string,
  status: number,
  message: string,
  details?: Record<string, unknown>,
) {
  return { code, status, message, correlation_id: res.headers['x-request-id'], ...(details ? { details } : {}) };
}
