import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, PutObjectTaggingCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ContentStore } from '../use-cases/ports';
import { keys, UNREFERENCED_TAG } from './keys';

/**
 * How the handlers' S3 client makes its requests (the bench's bare upload makes its the same
 * way). A connection that cannot be made fails within 1 s (503); `requestTimeout` only logs a
 * warning, as for the DynamoDB client (lambda/store/client.ts): a hung request ends at the
 * function's timeout.
 */
export const S3_CLIENT_OPTIONS = {
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 4_000 },
  maxAttempts: 2,
} as const;

/** DeleteObjects takes at most 1,000 keys per call. */
const DELETE_OBJECTS_LIMIT = 1000;

/**
 * All S3 access: version content, stored as the uploaded bytes with their content type. Object
 * keys come from `keys.content` (SIDs this API issued), never from what a caller sent.
 */
export class ContentBucket implements ContentStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  /**
   * Stores a version's content under a key made of SIDs, tagged unreferenced until
   * `markReferenced` (the bucket's lifecycle rule expires objects no item came to point to). The
   * SHA-256 (base64) lets S3 check the bytes it received.
   */
  async put(serviceSid: string, versionSid: string, content: { bytes: Uint8Array; contentType: string; sha256Base64: string }): Promise<string> {
    const key = keys.content(serviceSid, versionSid);
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: content.bytes,
        ContentType: content.contentType,
        ChecksumSHA256: content.sha256Base64,
        Tagging: `${UNREFERENCED_TAG.key}=${UNREFERENCED_TAG.value}`,
      }),
    );
    return key;
  }

  /** Clears the unreferenced tag: an item now points to the object. */
  async markReferenced(key: string): Promise<void> {
    await this.client.send(new PutObjectTaggingCommand({ Bucket: this.bucket, Key: key, Tagging: { TagSet: [] } }));
  }

  /** The bytes stored under a key. */
  async get(key: string): Promise<Uint8Array> {
    const result = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return (await result.Body?.transformToByteArray()) ?? new Uint8Array();
  }

  /** Deletes these objects (missing ones are no error). */
  async deleteMany(objectKeys: readonly string[]): Promise<void> {
    for (let i = 0; i < objectKeys.length; i += DELETE_OBJECTS_LIMIT) {
      const chunk = objectKeys.slice(i, i + DELETE_OBJECTS_LIMIT);
      await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true } }));
    }
  }

  /** Deletes every object of a service. */
  async deleteService(serviceSid: string): Promise<void> {
    const prefix = keys.serviceContentPrefix(serviceSid);
    let ContinuationToken: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken }));
      await this.deleteMany((page.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : [])));
      ContinuationToken = page.NextContinuationToken;
    } while (ContinuationToken);
  }
}
