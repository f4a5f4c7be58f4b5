// A fresh Node process doing what Lambda's runtime does at a cold start: import the function's
// bundle, then serve one request. Prints one JSON line (timings relative to this process's start,
// and the peak resident memory so far) and exits. Usage: node cold-driver.mjs <bundle.mjs> <event.json>
// With MEMORY_REQUESTS=N it then serves N more requests (the event of MEMORY_EVENT, a file, when
// set) and prints a second line with the process's peak resident memory, what Lambda reports as
// "Max Memory Used", and the status codes answered.
// Every request gets an event parsed afresh from the file's text, as the runtime parses each
// invocation's payload: the handlers' body parsers replace `event.body` in place, so an event
// object used twice would be a different request the second time.
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
    const text = memoryEventPath === eventPath ? eventText : readFileSync(memoryEventPath, 'utf8');
    const next = JSON.parse(text);
    next.requestContext = { ...next.requestContext, requestId: `memory-${i}` };
    const answer = await module.handler(next, contextOf(`memory-${i}`));
    statuses[answer?.statusCode] = (statuses[answer?.statusCode] ?? 0) + 1;
  }
  process.stdout.write(`${JSON.stringify({ statusCode: response?.statusCode, maxRssMb: process.resourceUsage().maxRSS / 1024, statuses })}\n`, () =>
    process.exit(0),
  );
} else {
  process.stdout.write(timing, () => process.exit(0));
}
