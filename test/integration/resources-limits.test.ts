import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack';
import { ACCOUNT, ASSET, basicAuth, FUNCTION, SERVICE } from '../support/fixtures';
import { call, expectJson, expectNothingWritten, expectTwilioError, getObject, upload } from '../support/resources';
import { startTestStack } from '../support/stack';

/**
 * The upload size limit, on a stack whose MAX_CONTENT_BYTES is 1000 (handlers read it once per
 * process, hence a file of its own): content over it is a 413 naming the limit, with nothing
 * stored in DynamoDB or S3; content of exactly the limit is taken.
 */

const LIMIT = 1000;

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack({ env: { MAX_CONTENT_BYTES: String(LIMIT) } });
});
afterAll(async () => {
  await stack?.stop();
});

const LIMIT_MESSAGE = new RegExp(`^Request body too large: at most ${LIMIT} bytes are accepted$`);

describe(`uploads over MAX_CONTENT_BYTES (${LIMIT})`, () => {
  it.each([
    ['a file of the limit + 1 bytes', LIMIT + 1],
    ['a file of twice the limit', 2 * LIMIT],
    ['a file of 100 KB (over the limit and its framing allowance)', 100 * 1024],
  ])('refuses %s with 413 / 20413 naming the limit, and stores nothing', async (_, size) => {
    for (const family of ['Functions', 'Assets'] as const) {
      await expectNothingWritten(stack, async () => {
        const response = await upload(stack, family, SERVICE, family === 'Functions' ? FUNCTION : ASSET, {
          Path: '/big',
          Visibility: 'public',
          Content: randomBytes(size),
          contentType: 'application/octet-stream',
        });
        await expectTwilioError(response, 413, 20413, LIMIT_MESSAGE);
      });
    }
  });

  it('refuses text over the limit sent as a plain Content field too, and stores nothing', async () => {
    for (const size of [LIMIT + 1, 3 * LIMIT, 10 * LIMIT]) {
      await expectNothingWritten(stack, async () => {
        const response = await upload(stack, 'Functions', SERVICE, FUNCTION, {
          Path: '/big',
          Visibility: 'public',
          Content: 'x'.repeat(size),
          contentField: true,
        });
        await expectTwilioError(response, 413, 20413, LIMIT_MESSAGE);
      });
    }
  });

  it('refuses a body far over the limit before parsing it, and stores nothing', async () => {
    await expectNothingWritten(stack, async () => {
      const response = await fetch(`${stack.baseUrl}/v1/Services/${SERVICE}/Assets/${ASSET}/Versions`, {
        method: 'POST',
        headers: { Authorization: basicAuth(ACCOUNT), 'Content-Type': 'multipart/form-data; boundary=b' },
        body: randomBytes(LIMIT + 70 * 1024),
      });
      await expectTwilioError(response, 413, 20413, LIMIT_MESSAGE);
    });
  });

  it('(control) takes content of exactly the limit, as a file and as a plain field', async () => {
    const bytes = randomBytes(LIMIT);
    const version = await expectJson(
      await upload(stack, 'Assets', SERVICE, ASSET, { Path: '/exact.bin', Visibility: 'public', Content: bytes, contentType: 'application/octet-stream' }),
      201,
    );
    expect((await getObject(stack, `services/${SERVICE}/versions/${version.sid}`)).bytes.equals(bytes)).toBe(true);

    const text = 'y'.repeat(LIMIT);
    const plain = await expectJson(
      await upload(stack, 'Functions', SERVICE, FUNCTION, { Path: '/exact', Visibility: 'public', Content: text, contentField: true }),
      201,
    );
    const content = await expectJson(await call(stack, 'GET', `/v1/Services/${SERVICE}/Functions/${FUNCTION}/Versions/${plain.sid}/Content`), 200);
    expect(content.content).toBe(text);
  });

  it('the limit does not apply to other bodies: a form of 2 KB to CreateService is taken', async () => {
    const created = await expectJson(
      await call(stack, 'POST', '/v1/Services', { form: { UniqueName: 'limits', FriendlyName: 'f'.repeat(255), Padding: 'p'.repeat(2048) } }),
      201,
    );
    expect(created.unique_name).toBe('limits');
  });
});
