/**
 * Prints one plain closing line after the default reporter, e.g. "tests: 42 passed, 0 failed, 1 skipped",
 * naming each skipped test so that a skip is never silent.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    const skipped: string[] = [];
    for (const m of testModules) {
      for (const t of m.children.allTests()) {
        const s = t.result().state;
        if (s === 'passed') passed++;
        else if (s === 'failed') failed++;
        else if (s === 'skipped') skipped.push(`${m.moduleId.replace(process.cwd() + '/', '')} > ${t.fullName}`);
      }
      if (m.state() === 'failed' && ![...m.children.allTests()].length) failed++;
    }
    for (const s of skipped) process.stdout.write(`skipped: ${s}\n`);
    process.stdout.write(`tests: ${passed} passed, ${failed} failed${skipped.length ? `, ${skipped.length} skipped` : ''}\n`);
  }
}
