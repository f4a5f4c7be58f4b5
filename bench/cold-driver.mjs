// A fresh Node process doing what Lambda's runtime does at a cold start: import the function's
// bundle, then serve one request. Prints one JSON line (timings relative to this process's start)
// and exits. Usage: node cold-driver.mjs <bundle.mjs> <event.json>
// With MEMORY_REQUESTS=N it then serves N more requests and prints a second line with the
// process's peak resident memory, what Lambda reports as "Max Memory Used".
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const [bundlePath, eventPath] = process.argv.slice(2);
const bootMs = performance.now();
const module = await import(pathToFileURL(bundlePath).href);
const importedMs = performance.now();
const event = JSON.parse(readFileSync(eventPath, 'utf8'));
const deadline = Date.now() + 10_000;
const context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'cold-start',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:cold-start',
  memoryLimitInMB: '256',
  awsRequestId: event.requestContext?.requestId ?? 'cold-start',
  logGroupName: '/aws/lambda/cold-start',
  logStreamName: 'local',
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};
const response = await module.handler(event, context);
const respondedMs = performance.now();
const timing = `${JSON.stringify({ statusCode: response?.statusCode, bootMs, importMs: importedMs - bootMs, firstRequestMs: respondedMs - importedMs })}\n`;
const memoryRequests = Number(process.env.MEMORY_REQUESTS ?? 0);
if (memoryRequests > 0) {
  await new Promise((resolve) => process.stdout.write(timing, resolve));
  for (let i = 0; i < memoryRequests; i++) await module.handler({ ...event, requestContext: { ...event.requestContext, requestId: `memory-${i}` } }, context);
  process.stdout.write(`${JSON.stringify({ statusCode: response?.statusCode, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`, () => process.exit(0));
} else {
  process.stdout.write(timing, () => process.exit(0));
}
