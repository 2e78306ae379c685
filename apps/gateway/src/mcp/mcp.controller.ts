import { All, Controller, HttpStatus } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ProblemError } from '#common';
import { Access } from '../auth/access.decorator';

/**
 * The MCP endpoint (PRODUCT.md §14). It takes OAuth 2.1 access tokens only; the guard refuses every
 * request (API keys with 401 OAUTH_REQUIRED, §3.4) until the OAuth server and the MCP tools exist.
 */
@ApiExcludeController()
@Access({ mode: 'oauth' })
@Controller('mcp/v1/common')
export class McpController {
  @All()
  serve(): never {
    // Not reached: the guard answers first. Kept so that a request never falls through to a 404.
    throw new ProblemError(HttpStatus.NOT_IMPLEMENTED, 'NOT_IMPLEMENTED', 'the MCP tools are not available yet');
  }
}
