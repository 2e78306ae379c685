import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsString, MaxLength, MinLength } from 'class-validator';
import { EmailAsStored, IsDisplayName, IsVisibleEmail } from '#contracts';

export class SignupDto {
  @ApiProperty({ example: 'ada@example.com', description: 'stored trimmed, in Unicode NFKC form' })
  @EmailAsStored()
  @IsEmail({}, { message: 'must be an email address' })
  @IsVisibleEmail()
  @MaxLength(254)
  email: string;

  @ApiProperty({ minLength: 12, maxLength: 1024 })
  @IsString()
  @MinLength(12, { message: 'must be at least 12 characters' })
  @MaxLength(1024)
  password: string;

  @ApiProperty({ minLength: 1, maxLength: 100, example: 'Ada Lovelace', description: 'trimmed; not blank' })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @MinLength(1, { message: 'must not be empty' })
  @MaxLength(100)
  @IsDisplayName()
  name: string;
}

export class LoginDto {
  @ApiProperty({ example: 'ada@example.com' })
  // As stored, so that the length is checked on what key-service receives.
  @EmailAsStored()
  @IsString()
  @MaxLength(254)
  email: string;

  @ApiProperty()
  @IsString()
  @MaxLength(1024)
  password: string;
}
