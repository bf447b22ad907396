// Every answer an end-to-end test receives is checked against the OpenAPI
// document (packages/client/openapi.json, what the API serves at /docs/json):
// an undocumented status, header or body fails the test. The checking is
// openapi-backend's (path matching, Ajv-compiled body and header schemas);
// two gaps of it are filled here: it passes a status the operation does not
// document, and it ignores `required: true` on a header.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import addFormats from 'ajv-formats';
import { OpenAPIBackend, type Document } from 'openapi-backend';
import { call } from './http';
import { ROOT } from './processes';

export const OPENAPI_DOCUMENT = join(ROOT, 'packages/client/openapi.json');

export interface ContractAnswer {
  method: string;
  /** Path and query, as requested. */
  url: string;
  status: number;
  headers: Headers;
  /** The parsed JSON body, null when there is none. */
  body: unknown;
}

export interface ContractChecker {
  /** What in the answer the document does not describe; empty when it does. */
  problems(answer: ContractAnswer): string[];
  /** Throws with the problems, if any. */
  check(answer: ContractAnswer): void;
}

interface HeaderObject {
  required?: boolean;
  $ref?: string;
}

export async function contractChecker(document?: Document): Promise<ContractChecker> {
  const definition = document ?? (JSON.parse(readFileSync(OPENAPI_DOCUMENT, 'utf8')) as Document);
  const api = new OpenAPIBackend({
    definition,
    strict: true,
    quick: false,
    validate: true,
    // date-time and the other formats the document uses are checked, not ignored.
    customizeAjv: (ajv) => addFormats(ajv),
  });
  await api.init();
  const resolved = api.definition;

  function problems({ method, url, status, headers, body }: ContractAnswer): string[] {
    const [path = '', query = ''] = url.split('?');
    const what = `${method} ${path} → ${status}`;
    const operation = api.router.matchOperation({ method, path, query, headers: {} });
    if (!operation) return [`${what}: no such operation in the document`];
    const response = operation.responses?.[String(status)];
    if (!response || '$ref' in response) return [`${what}: status not documented`];
    const found: string[] = [];
    const bodyResult = api.validator.validateResponse(body, operation, status);
    for (const e of bodyResult.errors ?? []) found.push(`${what}: body${e.instancePath} ${e.message}`);
    const headerMap = Object.fromEntries(headers.entries());
    const headerResult = api.validator.validateResponseHeaders(headerMap, operation, { statusCode: status });
    for (const e of headerResult.errors ?? []) found.push(`${what}: header ${e.instancePath} ${e.message}`);
    for (const [name, header] of Object.entries((response.headers ?? {}) as Record<string, HeaderObject>)) {
      const object = header.$ref ? resolvedHeader(header.$ref) : header;
      if (object?.required && !headers.has(name)) found.push(`${what}: required header ${name} missing`);
    }
    return found;
  }

  function resolvedHeader(ref: string): HeaderObject | undefined {
    const name = ref.replace('#/components/headers/', '');
    return resolved.components?.headers?.[name] as HeaderObject | undefined;
  }

  return {
    problems,
    check(answer) {
      const found = problems(answer);
      if (found.length) throw new Error(`answer not described by the OpenAPI document:\n${found.join('\n')}`);
    },
  };
}

/** `call`, with each answer checked against the document (throws when it is not described). */
export function checkedCall(checker: ContractChecker): typeof call {
  return async (url, method, path, body, headers) => {
    const answer = await call(url, method, path, body, headers);
    checker.check({ method, url: path, status: answer.status, headers: answer.headers, body: answer.body });
    return answer;
  };
}
