// The committed OpenAPI document (packages/client/openapi.json) and the
// client's types generated from it are what `pnpm generate:client` writes from
// the running code; this fails when either is stale (run it and commit).
import { readFileSync } from 'node:fs';
import t from 'tap';
import { CLIENT_TYPES, OPENAPI_JSON, openapiDocument, renderClientFiles } from '../scripts/openapi';

t.test('packages/client/openapi.json and src/schema.ts are what `pnpm generate:client` writes', async (t) => {
  const document = await openapiDocument();
  const { json, types } = await renderClientFiles(document);
  t.ok(readFileSync(OPENAPI_JSON, 'utf8') === json, 'openapi.json up to date; if not, run `pnpm generate:client`');
  t.ok(readFileSync(CLIENT_TYPES, 'utf8') === types, 'schema.ts up to date; if not, run `pnpm generate:client`');
});

t.test('the document tells what the issue tracker found missing', async (t) => {
  const doc = JSON.parse(readFileSync(OPENAPI_JSON, 'utf8')) as {
    servers: unknown[];
    paths: Record<
      string,
      Record<
        string,
        {
          operationId?: string;
          security?: unknown[];
          parameters?: { name: string; required?: boolean }[];
          responses: Record<string, { headers?: Record<string, unknown> }>;
        }
      >
    >;
  };
  t.ok(doc.servers.length > 0, 'servers');
  const operations = Object.values(doc.paths).flatMap((p) => Object.values(p));
  t.ok(
    operations.every((op) => op.operationId),
    'an operationId per operation',
  );
  t.ok(
    operations.every((op) => Array.isArray(op.security)),
    'security on every operation ([] when public)',
  );
  t.ok(
    operations.every((op) => Object.values(op.responses).every((r) => r.headers?.['x-request-id'])),
    'x-request-id on every answer',
  );
  const list = doc.paths['/api/v1/accounts']!.get!;
  t.same(
    list.parameters?.map((p) => [p.name, p.required ?? false]),
    [
      ['skip', false],
      ['take', false],
    ],
    'skip and take are optional',
  );
  t.same(Object.keys(doc.paths['/api/v1/signout']!.post!.responses), [
    '204',
    '400',
    '401',
    '413',
    '415',
    '431',
    '500',
    '503',
  ]);
});

t.test(
  'Bird’s status webhook: public, signed by its three Standard Webhooks headers, 401 when they do not verify',
  async (t) => {
    const doc = JSON.parse(readFileSync(OPENAPI_JSON, 'utf8')) as {
      paths: Record<
        string,
        Record<
          string,
          {
            security?: unknown[];
            parameters?: { name: string; in: string; required?: boolean }[];
            requestBody?: { content: Record<string, { schema: { required?: string[] } }> };
            responses: Record<string, unknown>;
          }
        >
      >;
    };
    const op = doc.paths['/api/v1/webhooks/bird']?.post;
    t.ok(op, 'POST /api/v1/webhooks/bird is documented');
    t.same(op?.security, [], 'no session: the signature authenticates');
    t.same(
      op?.parameters?.map((p) => [p.in, p.name, p.required]),
      [
        ['header', 'webhook-id', true],
        ['header', 'webhook-timestamp', true],
        ['header', 'webhook-signature', true],
      ],
    );
    t.same(op?.requestBody?.content['application/json']?.schema.required, ['type', 'timestamp', 'data']);
    t.ok(
      ['200', '400', '401', '503'].every((s) => op?.responses[s]),
      '200, 400, 401 and 503 answers',
    );
  },
);
