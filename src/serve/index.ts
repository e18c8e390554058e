/** `fleming serve`: an OpenAI-compatible HTTP server for a checkpoint. */
export { ApiError, cutAtStop, defaults, serve } from './server';
export type { Served, ServeOptions } from './server';
export { BatchQueue, QueueFull } from './queue';
export type { BatchQueueOptions } from './queue';
