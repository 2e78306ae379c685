import { validateSync } from 'class-validator';
import { IsDisplayName } from './display-name';

class Named {
  @IsDisplayName()
  name!: string;
}

const accepted = (name: string): boolean => validateSync(Object.assign(new Named(), { name })).length === 0;

describe('IsDisplayName', () => {
  it('takes names in any script, with emoji built by zero-width joiners', () => {
    for (const name of ['Laptop CLI', 'Équipe 👨‍👩‍👧', 'عربي', 'a'.repeat(255)])
      expect([name, accepted(name)]).toEqual([name, true]);
  });

  it('refuses control characters and bidirectional controls, which make a name read as something else', () => {
    for (const name of [
      'a\nb',
      'a\tb',
      'a\u0000',
      'a\u007f',
      'txt\u202Eexe',
      'x\u2066y',
      '\u200F',
      'a\u061Cb',
      'a\u2028b',
      'a\u2029b',
      'Ad\u200Bmin',
      '\uFEFFname',
    ])
      expect([name, accepted(name)]).toEqual([name, false]);
  });
});
