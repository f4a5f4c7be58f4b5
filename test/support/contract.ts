import { expect } from 'vitest';
import { bodyProblems, headerProblems, specResponse } from './openapi';

/** A JSON response body, loosely typed for assertions. */
export type Body = Record<string, unknown>;

/** The CORS headers the spec names that this API sends with its default `CORS_ALLOWED_ORIGINS=*`. */
export const CORS_HEADERS = ['Access-Control-Allow-Origin', 'Access-Control-Allow-Methods', 'Access-Control-Allow-Headers', 'Access-Control-Expose-Headers'];

/** Asserts status, JSON content type, the body as the spec writes it and closed, and the CORS headers; returns the body. */
export async function expectConforms(operationId: string, status: number, response: Response): Promise<Body> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = JSON.parse(text) as Body;
  expect(bodyProblems(operationId, status, body)).toEqual([]);
  expect(bodyProblems(operationId, status, body, { closed: true })).toEqual([]);
  expect(headerProblems(operationId, status, response.headers, CORS_HEADERS)).toEqual([]);
  return body;
}

/** Asserts a 204 with an empty body, as the spec declares for deletes (no content). */
export async function expectNoContent(operationId: string, response: Response): Promise<void> {
  expect(specResponse(operationId, 204).content).toBeUndefined();
  const text = await response.text();
  expect(response.status, text).toBe(204);
  expect(text).toBe('');
}
