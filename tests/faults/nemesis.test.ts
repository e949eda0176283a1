import { describe, expect, it } from 'vitest';
import { FAULTS, mixes } from './nemesis.ts';

/** The faults of a mix, by name, in any order. */
const faultSet = (name: string) => name.slice('mix('.length, -1).split(' + ').sort().join(' + ');

describe('mixes of faults', () => {
  it('are each a different set of faults, whatever the seed', () => {
    for (let seed = 0; seed < 500; seed++) {
      const sets = mixes(seed, 2).map((fault) => faultSet(fault.name));
      expect(new Set(sets).size, `seed ${seed}: ${sets.join(', ')}`).toBe(2);
    }
  });

  it('are the same for the same seed, so that a run can be repeated', () => {
    expect(mixes(45, 3).map((fault) => fault.name)).toEqual(mixes(45, 3).map((fault) => fault.name));
    expect(mixes(45, 2).map((fault) => fault.name)).not.toEqual(mixes(46, 2).map((fault) => fault.name));
  });

  it('hold two different faults each', () => {
    for (const fault of mixes(7, 5)) {
      const names = faultSet(fault.name).split(' + ');
      expect(names).toHaveLength(2);
      expect(new Set(names).size).toBe(2);
      for (const name of names) expect(FAULTS.map((each) => each.name)).toContain(name);
    }
  });

  it('refuses more mixes than there are', () => {
    const pairs = (FAULTS.length * (FAULTS.length - 1)) / 2;
    expect(mixes(1, pairs)).toHaveLength(pairs);
    expect(() => mixes(1, pairs + 1)).toThrow(`there are no ${pairs + 1} different mixes of 2 of the ${FAULTS.length} faults`);
  });
});
