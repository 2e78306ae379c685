import { IsIn, IsInt, Max, Min } from 'class-validator';

/**
 * A list page as the gateway asks for it (PRODUCT.md §1: its PaginationQuery has filled the defaults in).
 * Each list adds its filters and the `sort_by` it documents.
 */
export class PageRequest {
  @IsInt()
  @Min(1)
  page: number;

  @IsInt()
  @Min(1)
  @Max(100)
  limit: number;

  @IsIn(['asc', 'desc'])
  sort_order: 'asc' | 'desc';
}
