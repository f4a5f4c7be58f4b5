import { Logger } from '@aws-lambda-powertools/logger';

/** The name every function logs and counts metrics under (set by the stack as POWERTOOLS_SERVICE_NAME). */
export const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'twilio-serverless-builds';

/** Structured JSON logs with the request id. Never given headers, bodies or tokens. */
export const logger = new Logger({ serviceName });
