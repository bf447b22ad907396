// The worker process's entry (as apps/api/src/server.ts is the API's): run.ts
// does the work, app.ts holds the worker itself.
import { runWorker } from './run';

await runWorker();
