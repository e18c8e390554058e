/** `fleming serve`: an OpenAI-compatible HTTP server for a checkpoint. */
export { defaults, serve } from './server';
export type { Served, ServeOptions } from './server';
export { ApiError, errorBody, toApiError } from './errors';
export { cutAtStop, batchKeys, createBatcher, decodeBatch } from './batcher';
export type { Batcher, Choice } from './batcher';
export { loadEngine } from './engine';
export type { Engine } from './engine';
export { parseChatRequest } from './request';
export type { ChatRequest, Job, RequestLimits } from './request';
export { textDeltas, writeStream } from './sse';
export { completionBody, handleCompletion, usageOf } from './completion';
export { BatchQueue, QueueFull } from './queue';
export type { BatchQueueOptions } from './queue';
