import 'reflect-metadata';
import { IsIn, IsString, MaxLength, MinLength } from 'class-validator';
import { validateSync } from 'class-validator';
import { plainToInstance } from 'class-transformer';
import { flattenValidationErrors } from './rpc-validation.pipe';

class Named {
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name: string;

  @IsIn(['a', 'b'])
  kind: string;
}

const errorsOf = (body: object) => flattenValidationErrors(validateSync(plainToInstance(Named, body)));

describe('flattenValidationErrors', () => {
  it('gives one message for a value of the wrong type, not also its length checks', () => {
    expect(errorsOf({ kind: 'a' })).toEqual([{ field: 'name', message: 'name must be a string' }]);
    expect(errorsOf({ name: 42, kind: 'a' })).toEqual([{ field: 'name', message: 'name must be a string' }]);
  });

  it('keeps every message of a value of the right type', () => {
    expect(errorsOf({ name: '', kind: 'c' })).toEqual([
      { field: 'name', message: 'name must be longer than or equal to 1 characters' },
      { field: 'kind', message: 'kind must be one of the following values: a, b' },
    ]);
  });
});
