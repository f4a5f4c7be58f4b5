import { methodNotAllowed, notFound } from '../http/errors';
import { anonymousRoute } from '../http/middleware';
import { matchRoute } from '../routes';

/** Every request no route takes: CORS preflight 204, a known path with another method 405, else 404. */
export const handler = anonymousRoute(async (event) => {
  const method = event.requestContext.http.method;
  const { allowedMethods } = matchRoute(method, event.rawPath);
  if (method === 'OPTIONS' && allowedMethods.length > 0) return { statusCode: 204 };
  if (allowedMethods.length > 0) throw methodNotAllowed(method, [...allowedMethods, 'OPTIONS']);
  throw notFound(event.rawPath);
});
