import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { Account, AccountList, AccountsQuery, PAGE, Session, SigninBody, SignupBody } from '../../schemas/accounts';
import { errorResponses, sessionSecurity } from '../../schemas/common';

const accounts: FastifyPluginAsyncTypebox = async (fastify) => {
  const perIp = { rateLimit: {} };

  fastify.post(
    '/signup',
    {
      config: perIp,
      schema: {
        tags: ['accounts'],
        operationId: 'signup',
        summary: 'Create an account',
        body: SignupBody,
        response: { 201: Type.Ref(Account), ...errorResponses(400, 409, 413, 415, 429, 503) },
      },
    },
    async (request, reply) => reply.status(201).send(await fastify.accounts.signup(request.body)),
  );

  fastify.post(
    '/signin',
    {
      config: perIp,
      schema: {
        tags: ['accounts'],
        operationId: 'signin',
        summary: 'Open a session; its id is the x-session-id of later calls',
        body: SigninBody,
        response: { 200: Session, ...errorResponses(400, 401, 413, 415, 429, 503) },
      },
    },
    async (request) => fastify.accounts.signin(request.body.login, request.body.password),
  );

  fastify.post(
    '/signout',
    {
      onRequest: fastify.requireSession,
      schema: {
        tags: ['accounts'],
        operationId: 'signout',
        summary: 'Close the session',
        security: sessionSecurity,
        // No body is expected, but one that is sent is parsed (and can be refused).
        response: { 204: Type.Null(), ...errorResponses(400, 401, 413, 415, 503) },
      },
    },
    async (request, reply) => {
      await fastify.accounts.signout(request.headers['x-session-id'] as string);
      return reply.status(204).send(null);
    },
  );

  fastify.get(
    '/accounts/current',
    {
      onRequest: fastify.requireSession,
      schema: {
        tags: ['accounts'],
        operationId: 'getCurrentAccount',
        summary: "The caller's account",
        security: sessionSecurity,
        response: { 200: Type.Ref(Account), ...errorResponses(401, 503) },
      },
    },
    async (request) => fastify.accounts.current(request.caller.userId),
  );

  fastify.get(
    '/accounts',
    {
      onRequest: fastify.requireAdmin,
      schema: {
        tags: ['accounts'],
        operationId: 'listAccounts',
        summary: 'List accounts (admins)',
        security: sessionSecurity,
        querystring: AccountsQuery,
        response: { 200: AccountList, ...errorResponses(400, 401, 403, 503) },
      },
    },
    async (request) => fastify.accounts.list(request.query.skip ?? PAGE.skip, request.query.take ?? PAGE.take),
  );
};

export default accounts;
