import { SetMetadata } from '@nestjs/common';
import type { AccessPolicy } from './identity';

export const ACCESS_POLICY = 'vibexp:access-policy';

/** Declares how a route (or every route of a controller) is authenticated. */
export const Access = (policy: AccessPolicy): MethodDecorator & ClassDecorator => SetMetadata(ACCESS_POLICY, policy);
