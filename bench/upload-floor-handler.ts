/**
 * The upload function's own cold-start floor (for the record beside the one-PutItem baseline): a CreateAssetVersion's
 * requests, bare, in the same order, no framework, no body parsing — BatchGetItem of the account, the service and the asset;
 * PutObject of 1 KiB tagged unreferenced, with its SHA-256; TransactWriteItems of the version under a check that the asset
 * exists; PutObjectTagging that clears the tag. The handlers' own DynamoDB client and S3 client options and keys.
 */
import { createHash } from 'node:crypto';
import { PutObjectCommand, PutObjectTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { BatchGetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { newSid } from '../lambda/domain/sid';
import { documentClient as documents } from '../lambda/store/client';
import { S3_CLIENT_OPTIONS } from '../lambda/store/content';
import { keys, PARENT_INDEX, TABLE_KEY, UNREFERENCED_TAG } from '../lambda/store/keys';
import { ACCOUNT, ASSET, SERVICE } from './lib/seed';

const tableName = process.env.TABLE_NAME!;
const bucket = process.env.CONTENT_BUCKET!;
const s3 = new S3Client({ ...(process.env.S3_ENDPOINT ? { endpoint: process.env.S3_ENDPOINT, forcePathStyle: true } : {}), ...S3_CLIENT_OPTIONS });
const CONTENT = Buffer.alloc(1024, 'x');

export const handler = async () => {
  const readKeys = [keys.account(ACCOUNT.sid), keys.service(ACCOUNT.sid, SERVICE), keys.asset(SERVICE, ASSET)];
  const found = await documents.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: readKeys } } }));
  if (found.Responses?.[tableName]?.length !== readKeys.length) return { statusCode: 404, body: '{}' };
  const sid = newSid('ZN');
  const objectKey = keys.content(SERVICE, sid);
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: objectKey,
      Body: CONTENT,
      ContentType: 'application/octet-stream',
      ChecksumSHA256: createHash('sha256').update(CONTENT).digest('base64'),
      Tagging: `${UNREFERENCED_TAG.key}=${UNREFERENCED_TAG.value}`,
    }),
  );
  await documents.send(
    new TransactWriteCommand({
      TransactItems: [
        {
          ConditionCheck: {
            TableName: tableName,
            Key: keys.asset(SERVICE, ASSET),
            ConditionExpression: 'attribute_exists(#pk)',
            ExpressionAttributeNames: { '#pk': TABLE_KEY.partitionKey },
          },
        },
        {
          Put: {
            TableName: tableName,
            Item: { ...keys.assetVersion(SERVICE, sid), sid, asset_sid: ASSET, object_key: objectKey, [PARENT_INDEX.partitionKey]: keys.assetParent(ASSET) },
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': TABLE_KEY.partitionKey },
          },
        },
      ],
    }),
  );
  await s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: objectKey, Tagging: { TagSet: [] } }));
  return { statusCode: 201, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ sid }) };
};
