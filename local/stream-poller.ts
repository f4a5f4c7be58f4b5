import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type Shard,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import { type StreamEvent, workflowInputOfRecord } from '../lib/build-outbox';

/**
 * Another pipe from the same stream, played beside the outbox's (the build events pipe,
 * lib/build-events.ts): its filter and input template as one function, and its target.
 */
export interface LocalPipe {
  name: string;
  /** The target's input for a record (an array, as Pipes hands its batch), undefined when the pipe's filter drops the record; throws when its template cannot be filled. */
  inputOf: (record: StreamEvent) => unknown[] | undefined;
  /** Invokes the target synchronously: a rejection is retried `retryAttempts` times, then the record is dead-lettered (logged) and passed over. */
  deliver: (input: unknown[]) => Promise<void>;
  retryAttempts: number;
}

/**
 * The local stand-in for the EventBridge Pipes (lib/builds-stack.ts): it reads the table's stream
 * on DynamoDB Local, keeps the records that the outbox pipe's filter keeps, maps each with the pipe's
 * input template (both from lib/build-outbox.ts) and starts the workflow with it; each of `pipes`
 * (the build events pipe) gets the same records in the same order through its own filter. It runs on the
 * "AWS side" of the local stack, beside DynamoDB Local and the workflow runner, never in the
 * handlers' code path: a create only writes its build.
 *
 * It keeps its place like a pipe does: per shard, the sequence number of the last record handed
 * on, and which shards it has read to their end (a closed shard's children are read after it, so
 * records of one item stay in order across a shard rollover). With `checkpointFile` that place
 * survives a restart: records are neither replayed nor skipped. A record is checkpointed only
 * after its workflow was started: a crash in between replays it, which the workflow tolerates
 * (every step is conditional), as Pipes' at-least-once delivery does on AWS. A start that throws
 * is retried from that record until it succeeds, as a pipe retries its batch.
 */
export interface StreamPollerOptions {
  dynamoDb: DynamoDBClient;
  endpoint: string;
  tableName: string;
  /** Starts the workflow with the pipe's input (an array of one input), named after the build locally. */
  start: (input: unknown[], name: string) => Promise<void> | void;
  /** The other pipes reading this stream, handed each record after the outbox's start. */
  pipes?: readonly LocalPipe[];
  /** Where the position is kept across restarts; in memory only when unset. */
  checkpointFile?: string;
  /**
   * Where to start in a shard the checkpoint does not know: its oldest record (as the pipe does),
   * or only records written after the poller started (a table this stack did not make: its
   * history is not ours to replay).
   */
  startingPosition?: 'TRIM_HORIZON' | 'LATEST';
  /** How long to wait between polls of a stream with nothing new (ms). */
  idleMs?: number;
  log?: (line: Record<string, unknown>) => void;
}

interface Checkpoint {
  streamArn: string;
  /**
   * Per shard: the last sequence number handed on, and whether the shard was read to its end;
   * `retryAt`, on a shard with nothing handed on yet, the record whose start failed (the place to
   * read again from: without it, a shard first opened at LATEST would reopen past that record).
   */
  shards: Record<string, { sequenceNumber?: string; retryAt?: string; done?: boolean }>;
}

export interface StreamPoller {
  /** Resolves after a full pass over the stream that started after the call: every record written before it was handed on. */
  caughtUp(): Promise<void>;
  /** Records handed on to the workflow so far. */
  readonly started: number;
  /** Records delivered so far to each of `pipes`, by name. */
  readonly delivered: Readonly<Record<string, number>>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function readCheckpoint(file: string | undefined): Checkpoint | undefined {
  if (!file) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Checkpoint;
  } catch {
    return undefined;
  }
}

function writeCheckpoint(file: string | undefined, checkpoint: Checkpoint): void {
  if (!file) return;
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(checkpoint));
  renameSync(temporary, file);
}

/** Starts polling the table's stream; `stop` ends the loop (and waits for it). */
export async function startStreamPoller(options: StreamPollerOptions): Promise<StreamPoller> {
  const log = options.log ?? ((line) => console.error(JSON.stringify(line)));
  const idleMs = options.idleMs ?? 100;
  const streams = new DynamoDBStreamsClient({
    endpoint: options.endpoint,
    region: (await options.dynamoDb.config.region()) || 'us-east-1',
    credentials: await options.dynamoDb.config.credentials(),
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000 },
    maxAttempts: 1,
  });
  const table = await options.dynamoDb.send(new DescribeTableCommand({ TableName: options.tableName }));
  const streamArn = table.Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`Table "${options.tableName}" has no stream: the workflow cannot be started from it`);

  const saved = readCheckpoint(options.checkpointFile);
  const checkpoint: Checkpoint = saved?.streamArn === streamArn ? saved : { streamArn, shards: {} };
  const iterators = new Map<string, string>();
  let stopped = false;
  let started = 0;
  const delivered: Record<string, number> = Object.fromEntries((options.pipes ?? []).map((pipe) => [pipe.name, 0]));
  let waiters: Array<() => void> = [];
  let lastError = '';

  async function listShards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let exclusiveStartShardId: string | undefined;
    do {
      const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: exclusiveStartShardId }));
      shards.push(...(StreamDescription?.Shards ?? []));
      exclusiveStartShardId = StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId);
    return shards;
  }

  async function iteratorOf(shardId: string, position = options.startingPosition ?? 'TRIM_HORIZON'): Promise<string | undefined> {
    const known = iterators.get(shardId);
    if (known) return known;
    const { sequenceNumber, retryAt } = checkpoint.shards[shardId] ?? {};
    const place = sequenceNumber
      ? ({ ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: sequenceNumber } as const)
      : retryAt
        ? ({ ShardIteratorType: 'AT_SEQUENCE_NUMBER', SequenceNumber: retryAt } as const)
        : ({ ShardIteratorType: position } as const);
    const { ShardIterator } = await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ...place }));
    return ShardIterator;
  }

  async function handle(record: _Record): Promise<void> {
    await startWorkflow(record);
    for (const pipe of options.pipes ?? []) await deliver(pipe, record);
  }

  async function startWorkflow(record: _Record): Promise<void> {
    let input: unknown[] | undefined;
    try {
      input = workflowInputOfRecord(record as StreamEvent);
    } catch (error) {
      // A record the template cannot fill: the pipe would send it to its dead-letter queue after
      // its retries; here it is logged and passed over, so that it does not hold up the others.
      log({ level: 'ERROR', message: 'stream poller: record not delivered (dead letter)', record: record.dynamodb?.Keys, error: (error as Error).message });
      return;
    }
    if (!input) return;
    const sid = (input[0] as { sid: string }).sid;
    await options.start(input, sid);
    started++;
  }

  /** One record through one more pipe: filtered, mapped, delivered with the pipe's retries, else dead-lettered. */
  async function deliver(pipe: LocalPipe, record: _Record): Promise<void> {
    let input: unknown[] | undefined;
    let failure: Error | undefined;
    try {
      input = pipe.inputOf(record as StreamEvent);
    } catch (error) {
      failure = error as Error;
    }
    if (!input && !failure) return;
    for (let attempt = 0; input && attempt <= pipe.retryAttempts; attempt++) {
      if (attempt > 0) await sleep(idleMs * attempt);
      try {
        await pipe.deliver(input);
        delivered[pipe.name] = (delivered[pipe.name] ?? 0) + 1;
        return;
      } catch (error) {
        failure = error as Error;
      }
    }
    log({
      level: 'ERROR',
      message: `stream poller: record not delivered to ${pipe.name} (dead letter)`,
      record: record.dynamodb?.Keys,
      error: failure?.message,
    });
  }

  /** The stream's shards, described again every second or when a shard has closed (a rollover). */
  let shardList: { shards: Shard[]; at: number } | undefined;
  async function currentShards(): Promise<Shard[]> {
    if (!shardList || Date.now() - shardList.at > 1_000) shardList = { shards: await listShards(), at: Date.now() };
    return shardList.shards;
  }

  /** Reads every readable shard once; true when some shard returned records. */
  async function pass(): Promise<boolean> {
    const shards = await currentShards();
    const ids = new Set(shards.map((shard) => shard.ShardId!));
    let progressed = false;
    for (const shard of shards) {
      const id = shard.ShardId!;
      const state = (checkpoint.shards[id] ??= {});
      if (state.done) continue;
      // A child shard is read once its parent is read to its end (or is gone from the stream).
      const parent = shard.ParentShardId;
      if (parent && ids.has(parent) && !checkpoint.shards[parent]?.done) continue;
      let iterator: string | undefined;
      try {
        iterator = await iteratorOf(id);
      } catch (error) {
        if (!(error instanceof TrimmedDataAccessException)) throw error;
        // Its records are gone: read what is left.
        delete state.sequenceNumber;
        delete state.retryAt;
        iterator = await iteratorOf(id);
      }
      if (!iterator) continue;
      let result: GetRecordsCommandOutput;
      try {
        result = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
        iterators.delete(id);
      } catch (error) {
        if (error instanceof ExpiredIteratorException || error instanceof TrimmedDataAccessException) {
          iterators.delete(id);
          continue;
        }
        throw error;
      }
      for (const record of result.Records ?? []) {
        try {
          await handle(record);
        } catch (error) {
          // Read again from this record on the next pass: after the last record handed on, or at
          // this one when none was (kept in the checkpoint file too, so that a restart retries it).
          if (!state.sequenceNumber) state.retryAt = record.dynamodb?.SequenceNumber;
          writeCheckpoint(options.checkpointFile, checkpoint);
          throw error;
        }
        state.sequenceNumber = record.dynamodb?.SequenceNumber;
        delete state.retryAt;
        progressed = true;
      }
      if (result.NextShardIterator) {
        iterators.set(id, result.NextShardIterator);
      } else {
        // A closed shard read to its end: its children take over (shard rollover).
        state.done = true;
        shardList = undefined;
        iterators.delete(id);
        progressed = true;
      }
      if (progressed) writeCheckpoint(options.checkpointFile, checkpoint);
    }
    // Shards trimmed from the stream need no place any more.
    for (const id of Object.keys(checkpoint.shards)) if (!ids.has(id)) delete checkpoint.shards[id];
    return progressed;
  }

  if (options.startingPosition === 'LATEST') {
    // Fixed now, before any write the caller makes next: the open shards' latest position.
    for (const shard of await listShards()) {
      const id = shard.ShardId!;
      if (shard.SequenceNumberRange?.EndingSequenceNumber || checkpoint.shards[id]) continue;
      const iterator = await iteratorOf(id, 'LATEST');
      if (iterator) iterators.set(id, iterator);
      checkpoint.shards[id] = {};
    }
    // Closed shards from before the start are history: done.
    for (const shard of await listShards()) if (shard.SequenceNumberRange?.EndingSequenceNumber) checkpoint.shards[shard.ShardId!] ??= { done: true };
  }

  const loop = (async () => {
    while (!stopped) {
      const waiting = waiters;
      waiters = [];
      let progressed = false;
      try {
        progressed = await pass();
        lastError = '';
      } catch (error) {
        // DynamoDB Local restarting, the table deleted, a workflow start that failed: logged once, retried until stopped.
        const message = `${(error as Error).name}: ${(error as Error).message}`;
        if (message !== lastError) log({ level: 'WARN', message: 'stream poller: cannot read the stream or start a workflow, retrying', error: message });
        lastError = message;
        // Read again from the checkpoint: nothing after it is skipped.
        iterators.clear();
        waiters.push(...waiting);
        await sleep(idleMs * 5);
        continue;
      }
      if (!progressed) for (const resolve of waiting) resolve();
      else waiters.push(...waiting);
      // Idle: wait before the next poll; busy: a short pause, so that records arrive in batches.
      if (!stopped) await sleep(progressed ? idleMs / 4 : idleMs);
    }
    for (const resolve of waiters) resolve();
  })();

  return {
    caughtUp: () => new Promise<void>((resolve) => waiters.push(resolve)),
    get started() {
      return started;
    },
    get delivered() {
      return { ...delivered };
    },
    stop: async () => {
      stopped = true;
      await loop;
      streams.destroy();
    },
  };
}
