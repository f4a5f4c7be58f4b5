import type { Runtime } from './runtime';

/**
 * A build's artifact: what the builder makes and the runtime serves. One folder per artifact,
 * named by its key (a digest of the build's inputs), laid out so that the runtime can load it
 * as is on AWS Lambda and locally:
 *
 *   manifest.json            ArtifactManifest
 *   package.json             the dependencies the build installed (with package-lock.json)
 *   node_modules/            installed with npm's own installer, install scripts off
 *   functions/<ZN>.js        each function version's code, named by its SID (never by a caller's path)
 *   assets/<ZN>              private assets: only code reads them (Runtime.getAssets())
 *   public/<ZN>              public and protected assets: served as files, never unpacked
 */

/** Bumped when the layout changes: an artifact of another format is built again, never served. */
export const ARTIFACT_FORMAT = 1;

export type Visibility = 'public' | 'protected' | 'private';

export interface ArtifactFunction {
  sid: string;
  /** The URL path it answers on, e.g. `/hello`. */
  path: string;
  visibility: Visibility;
  /** Relative to the artifact's folder. */
  file: string;
}

export interface ArtifactAsset extends ArtifactFunction {
  content_type: string;
  size: number;
}

export interface ArtifactManifest {
  format: typeof ARTIFACT_FORMAT;
  artifact_key: string;
  service_sid: string;
  runtime: Runtime;
  /** As the build requested them: name → spec. */
  dependencies: Record<string, string>;
  /** What the install resolved them to, top level only: name → version. */
  resolved: Record<string, string>;
  functions: ArtifactFunction[];
  assets: ArtifactAsset[];
  /** Every file of the folder, node_modules included (AWS Lambda's limit is 250 MB unpacked). */
  unpacked_bytes: number;
  created_at: string;
}

/** Where each file lives inside an artifact's folder. */
export const artifactFiles = {
  manifest: 'manifest.json',
  function: (versionSid: string) => `functions/${versionSid}.js`,
  asset: (versionSid: string, visibility: Visibility) => (visibility === 'private' ? `assets/${versionSid}` : `public/${versionSid}`),
};

/** Why a build failed, as the builder names it: in the Build Failed event, the log line and the metric. */
export type BuildFailureReason =
  | 'E404'
  | 'ETARGET'
  | 'REGISTRY_UNREACHABLE'
  | 'INSTALL_FAILED'
  | 'SYNTAX_ERROR'
  | 'ARTIFACT_TOO_LARGE'
  | 'BUILD_DEADLINE'
  | 'BUILDER_CRASHED';

/**
 * What the builder writes on the build item when it is done (the workflow then flips the
 * status: the builder never does): the artifact, or why there is none.
 */
export type BuilderReport =
  | { builder_outcome: 'completed'; artifact_key: string }
  | { builder_outcome: 'failed'; failure_reason: BuildFailureReason; error_message: string };
