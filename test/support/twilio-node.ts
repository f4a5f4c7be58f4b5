import twilio from 'twilio';
import { expect } from 'vitest';

/** The error a promise rejects with; fails the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to reject');
}

/** twilio-node's own RestException, with Twilio's status, code and more_info. */
export function expectRestException(error: unknown, status: number, code: number): void {
  expect(error).toBeInstanceOf(twilio.RestException);
  expect(error).toMatchObject({ status, code, moreInfo: `https://www.twilio.com/docs/errors/${code}` });
  expect((error as Error).message).toEqual(expect.any(String));
}
