import 'reflect-metadata';
import { IsInt, IsString, MaxLength, ValidateNested, getMetadataStorage, validateSync } from 'class-validator';
import { Type, plainToInstance } from 'class-transformer';
import { cacheValidationMetadata } from './validation-metadata-cache';

class Inner {
  @IsString()
  @MaxLength(3)
  code: string;
}

class Outer {
  @IsInt()
  count: number;

  @ValidateNested()
  @Type(() => Inner)
  inner: Inner;
}

class Derived extends Outer {
  @IsString()
  label: string;
}

const errorsOf = (cls: new () => object, plain: object): string[] =>
  validateSync(plainToInstance(cls, plain), { whitelist: true, forbidNonWhitelisted: true }).flatMap((error) => [
    error.property,
    ...(error.children ?? []).map((child) => `${error.property}.${child.property}`),
  ]);

describe('cacheValidationMetadata', () => {
  beforeAll(() => cacheValidationMetadata());

  it('validates exactly as before, nested and inherited constraints included', () => {
    expect(errorsOf(Outer, { count: 1, inner: { code: 'abc' } })).toEqual([]);
    expect(errorsOf(Outer, { count: 'x', inner: { code: 'abcd' } })).toEqual(['count', 'inner', 'inner.code']);
    expect(errorsOf(Derived, { count: 1, inner: { code: 'a' } })).toEqual(['label']);
    expect(errorsOf(Derived, { count: 1, inner: { code: 'a' }, label: 'l', extra: true })).toEqual(['extra']);
  });

  it('answers a repeated lookup from memory', () => {
    const storage = getMetadataStorage();
    const first = storage.getTargetValidationMetadatas(Outer, 'Outer', false, false);
    expect(storage.getTargetValidationMetadatas(Outer, 'Outer', false, false)).toBe(first);
  });

  it('sees a constraint added after the first validation', () => {
    expect(errorsOf(Outer, { count: 1, inner: { code: 'a' } })).toEqual([]);
    class Later {
      @IsInt()
      n: number;
    }
    // A decorator applied to an already-validated class is seen too.
    IsString()(Outer.prototype, 'note');
    expect(errorsOf(Later, { n: 'x' })).toEqual(['n']);
    expect(errorsOf(Outer, { count: 1, inner: { code: 'a' } })).toEqual(['note']);
  });
});
