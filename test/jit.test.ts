import { describe, expect, it } from 'vitest';
import { jitCosts } from '../bench/jit';

describe('bench --jit', () => {
  it('sums the compile times V8 reports per function, anonymous ones together, most expensive first', () => {
    const trace = [
      '[marking 0x1 <JSFunction scan (sfi = 0x2)> for optimization to TURBOFAN, ConcurrencyMode::kConcurrent, reason: hot and stable]',
      '[completed compiling 0x3a <JSFunction scan (sfi = 0x2)> (target TURBOFAN) - took 0.004, 15.790, 0.055 ms]',
      '[completed optimizing 0x3a <JSFunction scan (sfi = 0x2)> (target TURBOFAN)]',
      '[completed compiling 0x3b <JSFunction extractContext (sfi = 0x5)> (target TURBOFAN) - took 0.010, 150.500, 0.490 ms]',
      '[completed compiling 0x3c <JSFunction scan (sfi = 0x2)> (target TURBOFAN) - took 0.001, 20.000, 0.149 ms]',
      '[completed compiling 0x3d <JSFunction (sfi = 0x9)> (target TURBOFAN) - took 0.100, 1.000, 0.100 ms]',
      '[completed compiling 0x3e <JSFunction (sfi = 0xa)> (target TURBOFAN) - took 0.100, 2.000, 0.100 ms]',
      '[aborted optimizing 0x3f <JSFunction summarizeText (sfi = 0x7)> (target TURBOFAN) because: Bailed out due to dependency change - took 0.004, 103.066, 0.147 ms]',
    ].join('\n');
    const c = jitCosts(trace);
    expect(c.map((x) => [x.name, x.compiles])).toEqual([
      ['extractContext', 1],
      ['scan', 2],
      ['(anonymous)', 2],
    ]);
    expect(c[1].ms).toBeCloseTo(35.999, 3);
    expect(c[2].ms).toBeCloseTo(3.4, 3);
  });
});
