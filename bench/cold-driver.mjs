// A fresh Node process doing what Lambda's runtime does at a cold start: import the function's bundle, serve one request,
// print one JSON line (timings since this process started, peak resident memory) and exit.
// Usage: node cold-driver.mjs <bundle.mjs> <event.json>. With MEMORY_REQUESTS=N it then serves N more requests (the event
// in the file MEMORY_EVENT, when set) and prints a second line: peak resident memory, Lambda's "Max Memory Used", and the
// statuses answered. Each request's event is parsed afresh, as the runtime parses each payload: the handlers' body parsers
// replace `event.body` in place, so an event object used twice would be another request the second time.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const [bundlePath, eventPath] = process.argv.slice(2);
const bootMs = performance.now();
const module = await import(pathToFileURL(bundlePath).href);
const importedMs = performance.now();
const eventText = readFileSync(eventPath, 'utf8');
const event = JSON.parse(eventText);
// Each invocation's context, with its own deadline (middy answers 503 once it has passed).
const contextOf = (awsRequestId) => {
  const deadline = Date.now() + 10_000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'cold-start',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:cold-start',
    memoryLimitInMB: '256',
    awsRequestId,
    logGroupName: '/aws/lambda/cold-start',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};
const response = await module.handler(event, contextOf(event.requestContext?.requestId ?? 'cold-start'));
const respondedMs = performance.now();
const maxRssMb = process.resourceUsage().maxRSS / 1024;
const timing = `${JSON.stringify({ statusCode: response?.statusCode, bootMs, importMs: importedMs - bootMs, firstRequestMs: respondedMs - importedMs, maxRssMb })}\n`;
const memoryRequests = Number(process.env.MEMORY_REQUESTS ?? 0);
if (memoryRequests > 0) {
  await new Promise((resolve) => process.stdout.write(timing, resolve));
  const memoryEventPath = process.env.MEMORY_EVENT || eventPath;
  const statuses = {};
  for (let i = 0; i < memoryRequests; i++) {
    const next = JSON.parse(memoryEventPath === eventPath ? eventText : readFileSync(memoryEventPath, 'utf8'));
    next.requestContext = { ...next.requestContext, requestId: `memory-${i}` };
    const answer = await module.handler(next, contextOf(`memory-${i}`));
    statuses[answer?.statusCode] = (statuses[answer?.statusCode] ?? 0) + 1;
  }
  const peak = JSON.stringify({ statusCode: response?.statusCode, maxRssMb: process.resourceUsage().maxRSS / 1024, statuses });
  process.stdout.write(`${peak}\n`, () => process.exit(0));
} else {
  process.stdout.write(timing, () => process.exit(0));
}
