import { describe, expect, it } from 'vitest';
import { createBuildBody, MAX_ASSET_VERSIONS, MAX_FUNCTION_VERSIONS } from '../../lambda/domain/schema';

const fv = (n: number) => `ZN${n.toString(16).padStart(32, '0')}`;
const FV = fv(1);
const AV = fv(2);

/** The first problem's message, as the API would answer it. */
function problem(body: Record<string, unknown>): string | undefined {
  const result = createBuildBody.safeParse(body);
  return result.success ? undefined : result.error.issues[0]?.message;
}

describe('Create Build body: FunctionVersions and AssetVersions', () => {
  it('takes one occurrence as a one-element list', () => {
    expect(createBuildBody.parse({ FunctionVersions: FV })).toMatchObject({ FunctionVersions: [FV], AssetVersions: [] });
  });

  it('takes repeated keys as a list, in order', () => {
    expect(createBuildBody.parse({ AssetVersions: [AV, FV] }).AssetVersions).toEqual([AV, FV]);
  });

  it('accepts upper-case hex digits', () => {
    expect(createBuildBody.parse({ FunctionVersions: `ZN${'ABCDEF0123456789'.repeat(2)}` }).FunctionVersions).toHaveLength(1);
  });

  it.each([
    ['FunctionVersions', 'ZN123'],
    ['FunctionVersions', `ZH${'0'.repeat(32)}`],
    ['AssetVersions', `ZN${'g'.repeat(32)}`],
    ['AssetVersions', ''],
  ])('rejects %s=%j naming the parameter and the value', (parameter, value) => {
    expect(problem({ [parameter]: value })).toMatch(new RegExp(`^Invalid ${parameter}: '${value}' is not a version SID`));
  });

  it("requires at least one version in total, with Twilio's message", () => {
    expect(problem({})).toBe('At least one Function Version or Asset Version is required for Build');
    expect(problem({ Runtime: 'node22', Dependencies: '[]' })).toBe('At least one Function Version or Asset Version is required for Build');
  });

  it(`allows ${MAX_FUNCTION_VERSIONS} function versions, not one more`, () => {
    const versions = Array.from({ length: MAX_FUNCTION_VERSIONS + 1 }, (_, i) => fv(i));
    expect(problem({ FunctionVersions: versions.slice(0, -1) })).toBeUndefined();
    expect(problem({ FunctionVersions: versions })).toBe('Invalid FunctionVersions: at most 50 are allowed in one build');
  });

  it(`allows ${MAX_ASSET_VERSIONS} asset versions, not one more`, () => {
    const versions = Array.from({ length: MAX_ASSET_VERSIONS + 1 }, (_, i) => fv(i));
    expect(problem({ AssetVersions: versions.slice(0, -1) })).toBeUndefined();
    expect(problem({ AssetVersions: versions })).toBe('Invalid AssetVersions: at most 1000 are allowed in one build');
  });
});

describe('Create Build body: Dependencies', () => {
  const dependencies = [
    { name: 'twilio', version: '3.29.2' },
    { name: '@twilio/runtime-handler', version: '1.0.1' },
  ];
  const text = JSON.stringify(dependencies);

  it('means [] when missing', () => {
    expect(createBuildBody.parse({ FunctionVersions: FV }).Dependencies).toEqual([]);
  });

  it('parses raw JSON text', () => {
    expect(createBuildBody.parse({ FunctionVersions: FV, Dependencies: text }).Dependencies).toEqual(dependencies);
  });

  it("parses the serverless toolkit's form: the JSON wrapped in one extra pair of quotes", () => {
    expect(createBuildBody.parse({ FunctionVersions: FV, Dependencies: `"${text}"` }).Dependencies).toEqual(dependencies);
  });

  it('parses the JSON text encoded as a JSON string literal', () => {
    expect(createBuildBody.parse({ FunctionVersions: FV, Dependencies: JSON.stringify(text) }).Dependencies).toEqual(dependencies);
  });

  it('unwraps only one pair of quotes', () => {
    expect(problem({ FunctionVersions: FV, Dependencies: JSON.stringify(JSON.stringify(text)) })).toMatch(/^Invalid Dependencies/);
  });

  it.each([
    ['not JSON', '[{name: twilio}]', 'Invalid Dependencies: not valid JSON'],
    ['not an array', '{"name":"twilio","version":"1"}', 'Invalid Dependencies: expected a JSON array'],
    ['an invalid package name', '[{"name":"Not A Name!","version":"1.0.0"}]', "Invalid Dependencies: 'Not A Name!' is not a valid npm package name"],
    ['an empty version', '[{"name":"twilio","version":""}]', 'Invalid Dependencies: a dependency version cannot be empty'],
    ['a missing version', '[{"name":"twilio"}]', 'Invalid Dependencies: each dependency needs a string version'],
    ['a number as name', '[{"name":1,"version":"1"}]', 'Invalid Dependencies: each dependency needs a string name'],
    ['an entry that is not an object', '["twilio"]', 'Invalid Dependencies: each dependency must be an object'],
    ['repeated keys', ['[]', '[]'], 'Invalid Dependencies: expected one JSON text'],
    [
      'a git spec',
      '[{"name":"x","version":"git+https://github.com/a/b.git"}]',
      "Invalid Dependencies: 'git+https://github.com/a/b.git' is not a version, range or tag",
    ],
    ['a file spec', '[{"name":"x","version":"file:../x"}]', "Invalid Dependencies: 'file:../x' is not a version, range or tag"],
  ])('rejects %s', (_, value, message) => {
    expect(problem({ FunctionVersions: FV, Dependencies: value })).toMatch(new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });
});

describe('Create Build body: package names checked before', () => {
  const withDependency = (name: string) => ({ FunctionVersions: FV, Dependencies: JSON.stringify([{ name, version: '1.0.0' }]) });

  it('accepts a valid name again and still rejects an invalid one after it (valid names are remembered)', () => {
    for (let i = 0; i < 3; i++) expect(createBuildBody.parse(withDependency('@twilio/runtime-handler')).Dependencies[0]?.name).toBe('@twilio/runtime-handler');
    expect(problem(withDependency('@twilio/Runtime Handler'))).toMatch(/is not a valid npm package name/);
  });

  it('keeps checking once its memory of valid names is full', () => {
    for (let i = 0; i < 1100; i++) createBuildBody.parse(withDependency(`package-${i}`));
    expect(problem(withDependency('package-0 '))).toMatch(/is not a valid npm package name/);
    expect(createBuildBody.parse(withDependency('package-1099')).Dependencies[0]?.name).toBe('package-1099');
  });
});

describe('Create Build body: Runtime and other parameters', () => {
  it.each(['node8', 'node18', 'node20', 'node22', 'node24'])('accepts Runtime=%s', (runtime) => {
    expect(createBuildBody.parse({ FunctionVersions: FV, Runtime: runtime }).Runtime).toBe(runtime);
  });

  it('leaves Runtime undefined when omitted (the handler resolves the default)', () => {
    expect(createBuildBody.parse({ FunctionVersions: FV }).Runtime).toBeUndefined();
  });

  it.each(['node', 'node23', 'Node22', '', 'python3'])('rejects Runtime=%j naming the allowed values', (runtime) => {
    expect(problem({ FunctionVersions: FV, Runtime: runtime })).toMatch(/^Invalid Runtime: must be one of node8, .*node24$/);
  });

  it('ignores unknown parameters, as Twilio does', () => {
    const parsed = createBuildBody.parse({ FunctionVersions: FV, FriendlyName: 'x', functionVersions: 'nope' });
    expect(parsed).toEqual({ FunctionVersions: [FV], AssetVersions: [], Dependencies: [] });
  });
});
