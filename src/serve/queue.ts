/**
 * The serving queue: requests wait here and are handed to the sampler in batches. Requests that
 * arrive together (within `waitMs` of the first, or while a batch decodes) and share a batch
 * key go into one call of `run`; the rest wait for a later batch, oldest first. Bounded: `push`
 * throws QueueFull when `maxPending` rows are already waiting.
 */

/** The queue is full: the server answers 429. */
export class QueueFull extends Error {}

export interface BatchQueueOptions {
  /** Rows (prompts × n) waiting at most; one more is refused. */
  maxPending: number;
  /** Rows decoded together in one call at most (a single larger request still runs alone). */
  maxBatchRows: number;
  /** How long an idle queue waits after the first job for others to join its batch (ms; 0 = one event-loop turn). */
  waitMs: number;
}

interface Entry<J, R> {
  job: J;
  key: string;
  rows: number;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

/**
 * Batches jobs by key into calls of `run` (one at a time), which returns one result per job.
 * `batches` counts the calls of `run`, `jobs` the jobs answered.
 */
export class BatchQueue<J, R> {
  batches = 0;
  jobs = 0;
  private readonly waiting: Entry<J, R>[] = [];
  private pendingRows = 0;
  private busy = false;

  constructor(
    private readonly run: (jobs: J[]) => Promise<R[]> | R[],
    private readonly o: BatchQueueOptions,
  ) {}

  /** Rows waiting (not yet decoding). */
  get pending(): number {
    return this.pendingRows;
  }

  /** Resolves once no batch runs and none waits. */
  async idle(): Promise<void> {
    while (this.busy || this.waiting.length) await new Promise((r) => setTimeout(r, 5));
  }

  /** Enqueues a job of `rows` rows; batches only with jobs of the same `key`. */
  push(job: J, key: string, rows: number): Promise<R> {
    if (this.pendingRows + rows > this.o.maxPending) throw new QueueFull(`queue full (${this.pendingRows} rows waiting, limit ${this.o.maxPending})`);
    this.pendingRows += rows;
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ job, key, rows, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.busy || this.waiting.length === 0) return;
    this.busy = true;
    const go = () => void this.drain();
    if (this.o.waitMs > 0) setTimeout(go, this.o.waitMs); // let requests arriving meanwhile join the batch
    else setImmediate(go);
  }

  private async drain(): Promise<void> {
    const head = this.waiting[0];
    const batch: Entry<J, R>[] = [];
    let rows = 0;
    for (let i = 0; i < this.waiting.length; ) {
      const e = this.waiting[i];
      if (e.key === head.key && (batch.length === 0 || rows + e.rows <= this.o.maxBatchRows)) {
        batch.push(e);
        rows += e.rows;
        this.waiting.splice(i, 1);
      } else i++;
    }
    this.pendingRows -= rows;
    this.batches++;
    try {
      const out = await this.run(batch.map((e) => e.job));
      batch.forEach((e, i) => e.resolve(out[i]));
    } catch (err) {
      for (const e of batch) e.reject(err);
    }
    this.jobs += batch.length;
    this.busy = false;
    this.kick();
  }
}
