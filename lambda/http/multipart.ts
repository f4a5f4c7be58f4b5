import httpMultipartBodyParser from '@middy/http-multipart-body-parser';
import { config } from '../config';
import { invalidParameter, payloadTooLarge } from './errors';
import type { ApiEvent, ApiMiddleware, ApiRequest } from './middleware';

/** Multipart framing and the Path and Visibility fields, on top of the content itself. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

/** The boundary of a multipart content type the parser accepts (the parser's own pattern); others are its 415. */
const MULTIPART_BOUNDARY = /^multipart\/form-data; boundary=([a-zA-Z0-9-]{1,70})(; ?charset=[\w-]+)?$/i;

/**
 * True unless the body lacks its close delimiter. busboy emits an error on the file stream of a
 * part the body ends inside, a stream the parser has no error listener on: an uncaught exception,
 * which ends the Lambda execution environment. Such a body is malformed anyway.
 */
function hasCloseDelimiter(event: ApiEvent): boolean {
  const boundary = MULTIPART_BOUNDARY.exec(event.headers['content-type'] ?? event.headers['Content-Type'] ?? '')?.[1];
  if (!boundary) return true; // the parser answers 415
  const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  // The parser reads the body as if it began with CRLF.
  return body.subarray(0, boundary.length + 4).toString('latin1') === `--${boundary}--` || body.includes(`\r\n--${boundary}--`, 0, 'latin1');
}

/**
 * Multipart bodies (version uploads): 413 naming the content limit when the body is larger than
 * that limit can explain, 400 for a body cut short, then @middy/http-multipart-body-parser
 * (busboy) with limits on parts, fields and the file's size (a larger file is a 413 too). A
 * plain field may hold as much as the content limit and one byte more (never cut silently):
 * Content sent as text is checked against the limit by the upload itself.
 */
export function multipartBody(): ApiMiddleware {
  const parser = httpMultipartBodyParser({
    busboy: { limits: { fileSize: config.maxContentBytes, files: 1, fields: 8, parts: 9, fieldSize: config.maxContentBytes + 1, fieldNameSize: 64 } },
  }) as ApiMiddleware;
  return {
    before: (request: ApiRequest) => {
      if (request.context.operation?.body !== 'multipart') return;
      const bytes = request.event.isBase64Encoded ? Math.floor(((request.event.body ?? '').length * 3) / 4) : Buffer.byteLength(request.event.body ?? '');
      if (bytes > config.maxContentBytes + MULTIPART_OVERHEAD_BYTES) throw payloadTooLarge(config.maxContentBytes);
      if (!hasCloseDelimiter(request.event)) throw invalidParameter('Invalid multipart/form-data body');
      return parser.before?.(request);
    },
  };
}
