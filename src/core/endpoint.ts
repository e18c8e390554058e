/** An OpenAI-compatible endpoint (vLLM, SGLang, a hosted API): teacher, validator, judge or evaluated model. */
export interface EndpointConfig {
  /** Base URL, e.g. http://127.0.0.1:8000/v1. */
  baseUrl: string;
  /** Model name sent with each request. */
  model: string;
  /** Name of the environment variable holding the API key (never the key itself). */
  apiKeyEnv: string;
  /** Requests in flight at once. */
  maxConcurrency: number;
}
