import type { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { invalidArgument } from '@tdock/core';
import { decodeBody, type GoStruct } from '../decode.js';
import type { Query } from '../query.js';

/** The request's query (Fastify parses repeated keys into arrays). */
export function query(request: FastifyRequest): Query {
  return (request.query ?? {}) as Query;
}

/** A route param, URL-decoded by the router. */
export function param(request: FastifyRequest, name: string): string {
  return (request.params as Record<string, string>)[name] ?? '';
}

function isStream(v: unknown): v is Readable {
  return typeof v === 'object' && v !== null && typeof (v as Readable).pipe === 'function' && typeof (v as Readable).on === 'function';
}

/** Reads a whole small body from a stream (JSON sent without application/json). */
async function readAll(stream: Readable, limit: number): Promise<string> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of stream) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    n += b.length;
    if (n > limit) throw invalidArgument('request body too large');
    parts.push(b);
  }
  return Buffer.concat(parts).toString('utf8');
}

/**
 * The request body decoded against `schema` like Go's encoding/json (api/decode.ts). A body that came
 * without a JSON content type is read and parsed too; an empty body is `{}`.
 */
export async function jsonBody<T>(request: FastifyRequest, schema: GoStruct): Promise<T> {
  let raw: unknown = request.body;
  if (isStream(raw)) {
    const text = await readAll(raw, 16 * 1024 * 1024);
    if (text.trim() === '') raw = undefined;
    else {
      try {
        raw = JSON.parse(text);
      } catch (err) {
        throw invalidArgument(`invalid JSON: ${(err as Error).message}`);
      }
    }
  }
  return decodeBody<T>(schema, raw);
}

/** The streamed request body (tar, gzip, octet-stream), or the raw request when Fastify kept none. */
export function bodyStream(request: FastifyRequest): Readable {
  return isStream(request.body) ? request.body : (request.raw as Readable);
}

/** Sends JSON with status (Content-Type fixed to exactly application/json by the app's onSend hook). */
export function sendJson(reply: FastifyReply, status: number, data: unknown): FastifyReply {
  return reply.code(status).type('application/json').send(JSON.stringify(data) + '\n');
}

/** 204 No Content. */
export function noContent(reply: FastifyReply): FastifyReply {
  return reply.code(204).send();
}
