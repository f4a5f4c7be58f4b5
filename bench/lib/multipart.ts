import { randomBytes } from 'node:crypto';

/**
 * A multipart/form-data body exactly as Twilio's toolkit sends a version upload (@twilio-labs/serverless-api appends Path,
 * Visibility, then Content with a filename and content type to a `form-data` FormData, sent with its Content-Length): the
 * boundary shape (26 dashes + 24 hex digits), part headers, line breaks and closing boundary of form-data 4's `getBuffer()`.
 * Built here because `form-data` is a dependency of the toolkit, not of this project.
 */
export function toolkitMultipart(
  fields: Record<string, string>,
  file: { filename: string; contentType: string; bytes: Buffer },
  boundary = `--------------------------${randomBytes(12).toString('hex')}`,
) {
  const CRLF = '\r\n';
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}${CRLF}Content-Disposition: form-data; name="${name}"${CRLF}${CRLF}${value}${CRLF}`));
  }
  parts.push(
    Buffer.from(
      `--${boundary}${CRLF}Content-Disposition: form-data; name="Content"; filename="${file.filename}"${CRLF}Content-Type: ${file.contentType}${CRLF}${CRLF}`,
    ),
    file.bytes,
    Buffer.from(`${CRLF}--${boundary}--${CRLF}`),
  );
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}
