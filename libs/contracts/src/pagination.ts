import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import type { Page } from './keys';

/**
 * The last page a list is asked for. Far beyond any list a person pages through, and it keeps the row
 * offset ((page - 1) × limit) well inside what a database OFFSET takes: `page=1e18` is a 400, not a 500.
 */
export const MAX_PAGE = 1_000_000;

/**
 * A query parameter of digits as a number (with a minus sign too, so that `-1` is told it is below the minimum).
 * Anything else stays text and fails `@IsInt` with a 400: `Number()` would also read `0x10` as 16, `1e2` as 100
 * and ` 5` or `+5` as 5, values no client means as a page size.
 */
export const QueryInteger = () =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^-?\d{1,16}$/.test(value) ? Number(value) : value,
  );

/** `page` (1-based, at most MAX_PAGE) and `limit` (at most 100) of every list (PRODUCT.md §1). */
export class PaginationQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE, default: 1 })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE)
  page: number = 1;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;
}

/** One page of a list (PRODUCT.md §1): its items, and where they stand in a selection of `total`. */
export function toPage<T>(items: T[], total: number, request: { page: number; limit: number }): Page<T> {
  return {
    items,
    total_count: total,
    page: request.page,
    per_page: request.limit,
    total_pages: Math.ceil(total / request.limit),
  };
}
