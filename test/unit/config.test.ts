import { describe, expect, it } from 'vitest';
import { ConfigurationError, readConfig, requireOnLambda } from '../../lambda/config';

describe('configuration, checked at cold start', () => {
  it('reads the defaults from an empty environment', () => {
    expect(readConfig({})).toMatchObject({ tableName: 'twilio-serverless-builds', corsAllowedOrigins: ['*'], rateLimitBuildsPerHour: 0 });
  });

  it.each([
    ['TABLE_NAME', 'a table!'],
    ['PUBLIC_BASE_URL', 'builds.example.com'],
    ['CORS_ALLOWED_ORIGINS', 'console.example.com'],
    ['DYNAMODB_ENDPOINT', 'localhost:8000'],
    ['S3_ENDPOINT', 'ftp://localhost'],
    ['CONTENT_BUCKET', 'Bad_Bucket'],
    ['FUNCTIONS_DOMAIN', 'not a domain'],
    ['BUILD_TTL_HOURS', '0'],
    ['MAX_BODY_BYTES', '12kb'],
    ['MAX_CONTENT_BYTES', '-1'],
    ['RATE_LIMIT_BUILDS_PER_HOUR', '1.5'],
  ])('fails naming %s when it is malformed (%s)', (name, value) => {
    expect(() => readConfig({ [name]: value })).toThrow(ConfigurationError);
    expect(() => readConfig({ [name]: value })).toThrow(new RegExp(`${name} must be`));
  });

  it('names every malformed variable in one message (one log line per failed init)', () => {
    let message = '';
    try {
      readConfig({ TABLE_NAME: 'x', MAX_BODY_BYTES: 'lots' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^Invalid configuration: TABLE_NAME must be .*; MAX_BODY_BYTES must be /);
    expect(message).not.toContain('\n');
  });

  it('requires CONTENT_BUCKET on Lambda when a function first touches content, rather than using the default bucket name', async () => {
    const { content } = await import('../../lambda/store');
    const saved = { ...process.env };
    try {
      process.env.AWS_LAMBDA_FUNCTION_NAME = 'functions';
      delete process.env.DYNAMODB_ENDPOINT;
      delete process.env.CONTENT_BUCKET;
      expect(() => content()).toThrow(/CONTENT_BUCKET is required/);
      process.env.CONTENT_BUCKET = 'builds-content';
      expect(content()).toBeDefined();
    } finally {
      process.env = saved;
    }
  });

  it('requires TABLE_NAME on Lambda (no silent default there), not locally', () => {
    expect(() => requireOnLambda('TABLE_NAME', { AWS_LAMBDA_FUNCTION_NAME: 'create-build' })).toThrow(/TABLE_NAME is required/);
    expect(() => requireOnLambda('TABLE_NAME', { AWS_LAMBDA_FUNCTION_NAME: 'create-build', TABLE_NAME: 'builds' })).not.toThrow();
    expect(() => requireOnLambda('TABLE_NAME', {})).not.toThrow();
  });
});
