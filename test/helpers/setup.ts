/** Runs before every test file (vitest.config.mts setupFiles): its temporary folders go when it ends. */
import { afterAll } from 'vitest';
import { removeTempDirs } from './tmp';
import { selectTraining } from '../../src/model/ortTrain';

afterAll(() => {
  const left = removeTempDirs();
  if (left.length) throw new Error(`temporary folders that could not be removed: ${left.join(', ')}`);
});

// In-process tests train on TensorFlow.js, the reference numerics the backend parity tests compare
// ($FLEMING_TRAIN_RUNTIME overrides). The native path the product takes by default (trainRuntime
// auto: src/model/ortTrain.ts) has its own tests (test/model/ortTrain.test.ts), and every test that
// runs the CLI (test/crash/kill.test.ts) or a notebook runs that default.
selectTraining(process.env.FLEMING_TRAIN_RUNTIME || 'tfjs');
