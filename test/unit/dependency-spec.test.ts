import fc from 'fast-check';
import npa from 'npm-package-arg';
import { describe, expect, it } from 'vitest';
import { isRegistrySpec } from '../../lambda/domain/dependency-spec';

/** The hand-written rule against npm's own parser of dependency specs. */
const REGISTRY_TYPES = new Set(['version', 'range', 'tag']);

function npmType(spec: string): string {
  try {
    return npa.resolve('some-package', spec).type;
  } catch {
    return 'invalid';
  }
}

describe('isRegistrySpec', () => {
  it.each(['7.0.0', '^5.0.0', '~1.2.3', '*', '1.x', 'latest', 'next', '>=1.0.0 <2.0.0', '1.0.0 || 2.0.0', '1.2.3-beta.1+build.5'])(
    'accepts the registry spec %s (npm: a version, range or tag)',
    (spec) => {
      expect(REGISTRY_TYPES.has(npmType(spec))).toBe(true);
      expect(isRegistrySpec(spec)).toBe(true);
    },
  );

  it.each([
    'git+https://github.com/a/b.git',
    'git://github.com/a/b.git',
    'github:a/b',
    'a/b',
    'a/b#main',
    'file:../x',
    '../x',
    './x',
    '~/x',
    '/abs/x',
    'x.tgz',
    'https://example.com/x.tgz',
    'npm:is-number@7.0.0',
    'link:../x',
    'workspace:*',
    '',
  ])('refuses %j, which npm would not fetch from the registry', (spec) => {
    expect(isRegistrySpec(spec)).toBe(false);
  });

  it('accepts nothing npm would fetch from elsewhere', () => {
    const specs = fc.oneof(
      fc.string({ unit: fc.constantFrom(...'abz019.*^~<>=|+ _-:/#@'.split('')), maxLength: 12 }),
      fc
        .constantFrom('git+', 'file:', 'npm:', 'link:', 'github:', 'https://', '../', './')
        .chain((prefix) => fc.string({ maxLength: 8 }).map((rest) => prefix + rest)),
    );
    fc.assert(
      fc.property(specs, (spec) => {
        if (isRegistrySpec(spec)) expect([spec, npmType(spec)]).toEqual([spec, expect.stringMatching(/^(version|range|tag|invalid)$/)]);
      }),
      { numRuns: 2000 },
    );
  });
});
