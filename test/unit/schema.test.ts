import { describe, expect, it } from 'vitest';
import {
  createDeploymentBody,
  createEnvironmentBody,
  createServiceBody,
  createVariableBody,
  friendlyNameBody,
  listLogsQuery,
  updateServiceBody,
  updateVariableBody,
  uploadVersionBody,
} from '../../lambda/domain/schema';

/**
 * Every validation rule of the forms and queries of the Services, Functions, Assets, Versions,
 * Environments, Variables, Deployments and Logs routes, one case each, as the API answers it: the
 * first problem's message (the handlers answer 400 / 20001 with it, see `parsedOrThrow`). The
 * integration tests send one refused form per route over HTTP and check that nothing is written.
 */

type Schema = { safeParse(input: unknown): { success: true; data: unknown } | { success: false; error: { issues: readonly { message: string }[] } } };

/** The first problem's message, as the API would answer it; undefined when the input is valid. */
function problem(schema: Schema, input: unknown): string | undefined {
  const result = schema.safeParse(input);
  return result.success ? undefined : result.error.issues[0]?.message;
}

const long = (n: number, char = 'a') => char.repeat(n);
/** A multipart file part, as @middy/http-multipart-body-parser delivers it. */
const filePart = (text: string, mimetype = 'application/javascript') => ({ content: Buffer.from(text, 'utf8'), mimetype });

describe('Create Service form', () => {
  it.each([
    ['UniqueName missing', { FriendlyName: 'x' }, /^Missing required parameter UniqueName$/],
    ['UniqueName empty', { UniqueName: '', FriendlyName: 'x' }, /^Missing required parameter UniqueName$/],
    ['UniqueName of 51 characters', { UniqueName: long(51), FriendlyName: 'x' }, /^Invalid UniqueName: at most 50 characters$/],
    ['UniqueName with a space', { UniqueName: 'my app', FriendlyName: 'x' }, /^Invalid UniqueName: use only letters, digits and dashes$/],
    ['UniqueName with an underscore', { UniqueName: 'a_b', FriendlyName: 'x' }, /^Invalid UniqueName/],
    ['UniqueName with a dot', { UniqueName: 'a.b', FriendlyName: 'x' }, /^Invalid UniqueName/],
    ['UniqueName with a slash', { UniqueName: 'a/b', FriendlyName: 'x' }, /^Invalid UniqueName/],
    ['UniqueName not ASCII', { UniqueName: 'héllo', FriendlyName: 'x' }, /^Invalid UniqueName/],
    [
      'UniqueName in the form of a Service SID',
      { UniqueName: `ZS${long(32)}`, FriendlyName: 'x' },
      /^Invalid UniqueName: must not have the form of a Service SID$/,
    ],
    ['FriendlyName missing', { UniqueName: 'no-friendly-name' }, /^Missing required parameter FriendlyName$/],
    ['FriendlyName empty', { UniqueName: 'empty-friendly-name', FriendlyName: '' }, /^Missing required parameter FriendlyName$/],
    ['FriendlyName of 256 characters', { UniqueName: 'long-friendly-name', FriendlyName: long(256) }, /^Invalid FriendlyName: at most 255 characters$/],
    ['IncludeCredentials=yes', { UniqueName: 'ic-yes', FriendlyName: 'x', IncludeCredentials: 'yes' }, /^Invalid IncludeCredentials: must be true or false$/],
    ['IncludeCredentials=1', { UniqueName: 'ic-one', FriendlyName: 'x', IncludeCredentials: '1' }, /^Invalid IncludeCredentials/],
    ['IncludeCredentials empty', { UniqueName: 'ic-empty', FriendlyName: 'x', IncludeCredentials: '' }, /^Invalid IncludeCredentials/],
    ['UiEditable=yes', { UniqueName: 'ui-yes', FriendlyName: 'x', UiEditable: 'yes' }, /^Invalid UiEditable: must be true or false$/],
    ['UiEditable=0', { UniqueName: 'ui-zero', FriendlyName: 'x', UiEditable: '0' }, /^Invalid UiEditable/],
  ])('refuses %s', (_, form, message) => {
    expect(problem(createServiceBody, form)).toMatch(message);
  });

  it('accepts the boundaries: a 50-character unique name, a 255-character friendly name, TRUE/FALSE in any case; defaults the booleans', () => {
    expect(createServiceBody.parse({ UniqueName: `b${long(49)}`, FriendlyName: long(255), IncludeCredentials: 'FALSE', UiEditable: 'True' })).toEqual({
      UniqueName: `b${long(49)}`,
      FriendlyName: long(255),
      IncludeCredentials: false,
      UiEditable: true,
    });
    expect(createServiceBody.parse({ UniqueName: 'Dashes-and-1', FriendlyName: 'x' })).toMatchObject({ IncludeCredentials: true, UiEditable: false });
  });
});

describe('Update Service form', () => {
  it.each([
    ['FriendlyName empty', { FriendlyName: '' }, /^Missing required parameter FriendlyName$/],
    ['FriendlyName of 256 characters', { FriendlyName: long(256) }, /^Invalid FriendlyName: at most 255 characters$/],
    ['IncludeCredentials=maybe', { IncludeCredentials: 'maybe' }, /^Invalid IncludeCredentials: must be true or false$/],
    ['UiEditable=on', { UiEditable: 'on' }, /^Invalid UiEditable: must be true or false$/],
  ])('refuses %s', (_, form, message) => {
    expect(problem(updateServiceBody, form)).toMatch(message);
  });

  it('takes every parameter as optional', () => {
    expect(updateServiceBody.parse({})).toEqual({});
    expect(updateServiceBody.parse({ UiEditable: 'TRUE' })).toEqual({ UiEditable: true });
  });
});

describe('Create and Update Function and Asset form', () => {
  it.each([
    ['FriendlyName missing', {}, /^Missing required parameter FriendlyName$/],
    ['FriendlyName empty', { FriendlyName: '' }, /^Missing required parameter FriendlyName$/],
    ['FriendlyName of 256 characters', { FriendlyName: long(256) }, /^Invalid FriendlyName: at most 255 characters$/],
  ])('refuses %s (other parameters ignored)', (_, form: Record<string, string>, message) => {
    expect(problem(friendlyNameBody, { Other: 'x', ...form })).toMatch(message);
  });

  it('accepts a 255-character friendly name', () => {
    expect(friendlyNameBody.parse({ FriendlyName: long(255) })).toEqual({ FriendlyName: long(255) });
  });
});

describe('version upload form (multipart)', () => {
  const valid = { Path: '/x.js', Visibility: 'public', Content: filePart('x') };

  it.each([
    ['Path missing', { ...valid, Path: undefined }, /^Missing required parameter Path$/],
    ['Path empty', { ...valid, Path: '' }, /^Missing required parameter Path$/],
    ['Path of 256 characters once the leading / is added', { ...valid, Path: long(255) }, /^Invalid Path: at most 255 characters$/],
    ['Path of 256 characters with its /', { ...valid, Path: `/${long(255)}` }, /^Invalid Path: at most 255 characters$/],
    ['Path with a NUL', { ...valid, Path: '/a\u0000b' }, /^Invalid Path: control characters are not allowed$/],
    ['Path with a CR LF', { ...valid, Path: '/a\r\nb' }, /^Invalid Path: control characters are not allowed$/],
    ['Path with DEL', { ...valid, Path: '/a\u007fb' }, /^Invalid Path: control characters are not allowed$/],
    ['Visibility missing', { ...valid, Visibility: undefined }, /^Invalid Visibility: must be one of public, protected, private$/],
    ['Visibility empty', { ...valid, Visibility: '' }, /^Invalid Visibility/],
    ['Visibility=secret', { ...valid, Visibility: 'secret' }, /^Invalid Visibility/],
    ['Visibility in capitals', { ...valid, Visibility: 'PUBLIC' }, /^Invalid Visibility/],
    ['Content missing', { ...valid, Content: undefined }, /^Missing required parameter Content: send it as a file part$/],
  ])('refuses %s', (_, fields, message) => {
    expect(problem(uploadVersionBody, fields)).toMatch(message);
  });

  it('accepts a Path of exactly 255 characters, with or without its leading /, and adds the / when missing', () => {
    expect(uploadVersionBody.parse({ ...valid, Path: long(254) }).Path).toBe(`/${long(254)}`);
    expect(uploadVersionBody.parse({ ...valid, Path: `/${long(254)}` }).Path).toBe(`/${long(254)}`);
    expect(uploadVersionBody.parse({ ...valid, Path: 'style.css' }).Path).toBe('/style.css');
  });

  it('takes a file part with its content type (application/octet-stream without one), and a plain field as UTF-8 text', () => {
    expect(uploadVersionBody.parse({ ...valid, Content: filePart('body{}', 'text/css') }).Content).toEqual({
      bytes: Buffer.from('body{}'),
      contentType: 'text/css',
    });
    expect(uploadVersionBody.parse({ ...valid, Content: filePart('x', '') }).Content.contentType).toBe('application/octet-stream');
    expect(uploadVersionBody.parse({ ...valid, Content: 'héllo' }).Content).toEqual({ bytes: Buffer.from('héllo', 'utf8'), contentType: 'text/plain' });
  });
});

describe('Create Environment form', () => {
  it.each([
    ['UniqueName missing', {}, /^Missing required parameter UniqueName$/],
    ['UniqueName empty', { UniqueName: '' }, /^Missing required parameter UniqueName$/],
    ['UniqueName of 101 characters', { UniqueName: long(101) }, /^Invalid UniqueName: at most 100 characters$/],
    ['DomainSuffix of 17 characters', { UniqueName: 'long-suffix', DomainSuffix: long(17) }, /^Invalid DomainSuffix: at most 16 characters$/],
    ['DomainSuffix with a space', { UniqueName: 'suffix-space', DomainSuffix: 'a b' }, /^Invalid DomainSuffix: use only letters, digits and dashes$/],
    ['DomainSuffix with an underscore', { UniqueName: 'suffix-underscore', DomainSuffix: 'a_b' }, /^Invalid DomainSuffix/],
    ['DomainSuffix with a dot', { UniqueName: 'suffix-dot', DomainSuffix: 'a.b' }, /^Invalid DomainSuffix/],
    ['DomainSuffix with a slash', { UniqueName: 'suffix-slash', DomainSuffix: 'a/b' }, /^Invalid DomainSuffix/],
    ['DomainSuffix not ASCII', { UniqueName: 'suffix-accent', DomainSuffix: 'dév' }, /^Invalid DomainSuffix/],
  ])('refuses %s', (_, form: Record<string, string>, message) => {
    expect(problem(createEnvironmentBody, form)).toMatch(message);
  });

  it('accepts the boundaries (a 100-character unique name, a 16-character suffix); an empty DomainSuffix is no suffix', () => {
    expect(createEnvironmentBody.parse({ UniqueName: long(100), DomainSuffix: long(16, 'z') })).toEqual({ UniqueName: long(100), DomainSuffix: long(16, 'z') });
    expect(createEnvironmentBody.parse({ UniqueName: 'production', DomainSuffix: '' })).toEqual({ UniqueName: 'production', DomainSuffix: undefined });
  });
});

describe('Create and Update Variable forms', () => {
  it.each([
    ['Key missing', { Value: 'x' }, /^Missing required parameter Key$/],
    ['Key empty', { Key: '', Value: 'x' }, /^Missing required parameter Key$/],
    ['Key of 129 characters', { Key: long(129), Value: 'x' }, /^Invalid Key: at most 128 characters$/],
    ['Value missing', { Key: 'NO_VALUE' }, /^Missing required parameter Value$/],
    ['Value of 451 bytes (ASCII)', { Key: 'LONG', Value: long(451) }, /^Invalid Value: at most 450 bytes$/],
    ['Value of 226 characters but 452 bytes (UTF-8)', { Key: 'WIDE', Value: long(226, 'é') }, /^Invalid Value: at most 450 bytes$/],
    ['Value of 151 characters but 453 bytes (UTF-8)', { Key: 'WIDER', Value: long(151, '✓') }, /^Invalid Value: at most 450 bytes$/],
  ])('create refuses %s', (_, form: Record<string, string>, message) => {
    expect(problem(createVariableBody, form)).toMatch(message);
  });

  it.each([
    ['Key empty', { Key: '' }, /^Missing required parameter Key$/],
    ['Key of 129 characters', { Key: long(129) }, /^Invalid Key: at most 128 characters$/],
    ['Value of 451 bytes (ASCII)', { Value: long(451) }, /^Invalid Value: at most 450 bytes$/],
    ['Value of 451 bytes (UTF-8)', { Value: `${long(225, 'é')}a` }, /^Invalid Value: at most 450 bytes$/],
    ['a valid Key with a Value too long', { Key: 'RENAMED', Value: long(451) }, /^Invalid Value/],
  ])('update refuses %s', (_, form: Record<string, string>, message) => {
    expect(problem(updateVariableBody, form)).toMatch(message);
  });

  it('accept the boundaries: a 128-character key, values of exactly 450 bytes, an empty value', () => {
    expect(createVariableBody.parse({ Key: long(128, 'K'), Value: long(450) })).toEqual({ Key: long(128, 'K'), Value: long(450) });
    for (const value of [long(225, 'é'), long(150, '✓'), '']) expect(updateVariableBody.parse({ Value: value })).toEqual({ Value: value });
  });
});

describe('Create Deployment form', () => {
  it.each([
    ['BuildSid missing', {}, /^Missing required parameter BuildSid$/],
    ['BuildSid empty', { BuildSid: '' }, /^Invalid BuildSid: '' is not a Build SID$/],
    ['BuildSid malformed', { BuildSid: 'ZB123' }, /^Invalid BuildSid: 'ZB123' is not a Build SID$/],
    ['BuildSid of another kind', { BuildSid: `ZN${long(32, '1')}` }, /^Invalid BuildSid/],
    ['IsPlugin not a boolean', { BuildSid: `ZB${long(32, '1')}`, IsPlugin: 'yes' }, /^Invalid IsPlugin: must be true or false$/],
  ])('refuses %s', (_, form: Record<string, string>, message) => {
    expect(problem(createDeploymentBody, form)).toMatch(message);
  });

  it('defaults IsPlugin to false', () => {
    expect(createDeploymentBody.parse({ BuildSid: `ZB${long(32, 'f')}` })).toEqual({ BuildSid: `ZB${long(32, 'f')}`, IsPlugin: false });
  });
});

describe('List Logs query', () => {
  it.each([
    ['FunctionSid malformed', { FunctionSid: 'ZH123' }, /^Invalid FunctionSid/],
    ['FunctionSid of another kind', { FunctionSid: `ZN${long(32, '1')}` }, /^Invalid FunctionSid/],
    ['StartDate not a date', { StartDate: 'not-a-date' }, /^Invalid StartDate/],
    ['StartDate out of range', { StartDate: '2026-13-45T00:00:00Z' }, /^Invalid StartDate/],
    ['StartDate a bare year', { StartDate: '2024' }, /^Invalid StartDate/],
    ['EndDate in words', { EndDate: 'March 7' }, /^Invalid EndDate/],
    ['EndDate not a date', { EndDate: 'yesterday' }, /^Invalid EndDate/],
    ['EndDate empty', { EndDate: '' }, /^Invalid EndDate/],
    ['PageSize 0', { PageSize: '0' }, /^Invalid PageSize/],
    ['PageSize 1001', { PageSize: '1001' }, /^Invalid PageSize/],
    ['Page -1', { Page: '-1' }, /^Invalid Page:/],
  ])('refuses %s', (_, query: Record<string, string>, message) => {
    expect(problem(listLogsQuery, query)).toMatch(message);
  });

  it('accepts a function SID and ISO 8601 dates and date-times', () => {
    const query = { FunctionSid: `ZH${long(32, '1')}`, StartDate: '2026-01-01T00:00:00Z', EndDate: '2026-01-02T00:00:00.000Z' };
    expect(listLogsQuery.parse(query)).toMatchObject(query);
    expect(listLogsQuery.parse({ StartDate: '2026-11-28' })).toMatchObject({ StartDate: '2026-11-28', PageSize: 50, Page: 0 });
  });
});
