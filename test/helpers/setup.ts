/** Runs before every test file (vitest.config.mts setupFiles): its temporary folders go when it ends. */
import { afterAll } from 'vitest';
import { removeTempDirs } from './tmp';

afterAll(() => {
  const left = removeTempDirs();
  if (left.length) throw new Error(`temporary folders that could not be removed: ${left.join(', ')}`);
});
