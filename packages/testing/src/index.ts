// Test helpers shared by the packages' and apps' tests, the end-to-end and
// fault tests and the benchmark.
export { baseConfig, uniqueName, type Teardown } from './base';
export { CHROMIUM, CHROMIUM_FLAGS } from './chromium';
export { createTestConfig } from './config';
export { createTestDatabase, dropDatabase } from './database';
export { call, newAccount, session, type Answer } from './http';
export { checkedCall, contractChecker, OPENAPI_DOCUMENT, type ContractAnswer, type ContractChecker } from './contract';
export { FAILURE_LOG_BYTES, outputTail, printLogOnFailure } from './failure-logs';
export { logSink, waitForLine, type LogLine, type LogSink } from './logs';
export { freePort } from './ports';
export { BIRD_SIGNING_KEY, birdSmsEvent, signBirdWebhook } from './bird-webhooks';
export { PUBLIC_URL, reportPath, signMessageBirdReport, SIGNING_KEY, type SignOptions } from './messagebird-reports';
export {
  liveProcesses,
  ROOT,
  startProcess,
  waitForHttp,
  type ExitStatus,
  type Proc,
  type StartOptions,
} from './processes';
export { deleteRedisPrefix, redisEnv } from './redis';
export { privateMariadb, privateRedis, privateRedisCluster, type RedisClusterServer, type Server } from './servers';
export { API_ENTRY, serviceEnv, smsLines, startApi, startWorker, WORKER_ENTRY, workerStarted } from './services';
export { waitFor } from './wait';
export {
  checkStandardWebhook,
  HTTP_PROVIDER_SECRET,
  startHttpGateway,
  type GatewayAnswer,
  type GatewayRequest,
  type HttpGateway,
} from './http-gateway';
