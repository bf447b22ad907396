import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Writes a whole JSON response straight to a socket, for when Node's HTTP
 * parser has rejected the bytes and there is no request or reply to answer
 * through. The connection is not reused afterwards.
 */
export function writeRawJson(socket: Socket, status: number, body: unknown, headers: Record<string, string> = {}) {
  if (!socket.writable) return;
  const json = JSON.stringify(body);
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(json)}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    'Connection: close',
  ];
  socket.write(`${head.join('\r\n')}\r\n\r\n${json}`);
}
