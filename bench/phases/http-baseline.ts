/**
 * Phase 4 (the baseline side, for the record): a minimal node:http server that only does the bare
 * conditional PutItem of a build-sized item (the item the stack's handler wrote) and answers 201
 * with it, into a table of its own (created like the stack's, stream included, but no poller reads
 * it and no workflow runs), so that the stack's and the floor's tables get the same writes.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTable } from '../../local/table';
import { dynamoDbEndpoint, fail, onRequest, report } from '../lib/ipc';

async function main(): Promise<void> {
  const tableName = `bench-baseline-${randomUUID()}`;
  const template = JSON.parse(process.env.BENCH_ITEM_TEMPLATE!) as Record<string, unknown>;
  const client = new DynamoDBClient({ endpoint: dynamoDbEndpoint(), region: process.env.AWS_REGION ?? 'us-east-1' });
  await ensureTable(client, tableName);
  const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

  let failures = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const sid = `ZB${Date.now().toString(16).padStart(12, '0')}${randomBytes(10).toString('hex')}`;
      const item = { ...template, SK: `BUILD#${sid}`, sid };
      documents
        .send(new PutCommand({ TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': 'PK' } }))
        .then(
          () => {
            response.writeHead(201, { 'Content-Type': 'application/json' });
            response.end(JSON.stringify(item));
          },
          (error: Error) => {
            if (failures++ === 0) console.error(`baseline put failed: ${error.name}: ${error.message}`);
            response.writeHead(500, { 'Content-Type': 'application/json' });
            response.end(JSON.stringify({ message: error.name }));
          },
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onRequest('stop', () => {
    server.close();
    server.closeAllConnections();
    client.destroy();
    process.exit(0);
  });
  await report('ready', { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
}

main().catch(fail);
