/**
 * Builds install public registry packages only: a version, a range or a dist-tag. Everything
 * npm would fetch from somewhere else — git (`git+…`, `github:a/b`, `a/b`), a path (`file:`,
 * `../x`, `~/x`, a tarball), a URL, an alias (`npm:x@1`), `link:` or `workspace:` — is refused
 * at Create Build. Hand-written rather than npm-package-arg, which would weigh on every API
 * bundle; test/unit/dependency-spec.test.ts checks it against npm-package-arg.
 */
const REGISTRY_SPEC = /^[A-Za-z0-9.*^~<>=|+ _-]+$/;
const TARBALL = /\.(tgz|tar|tar\.gz)$/i;

/** Whether npm resolves this dependency spec from the registry (a version, range or dist-tag). */
export function isRegistrySpec(spec: string): boolean {
  const trimmed = spec.trim();
  return trimmed.length > 0 && REGISTRY_SPEC.test(trimmed) && !trimmed.startsWith('.') && !TARBALL.test(trimmed);
}
