# syntax=docker/dockerfile:1
# One image for every VibeXP service. Select the service with the SERVICE build arg
# (default: gateway) or by overriding the command, e.g.
#   command: ["node", "dist/apps/key-service/src/main.js"]

ARG NODE_IMAGE=node:20-slim

# ---- build: full install (with dev dependencies) and TypeScript compile ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY libs ./libs
COPY apps ./apps
RUN npm run build

# ---- deps: production dependencies only ----
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# ---- runtime ----
FROM ${NODE_IMAGE} AS runtime
ARG SERVICE=gateway
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    SERVICE=${SERVICE}
WORKDIR /app
# Files stay root-owned (read-only to the node user); the app writes nothing to disk.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY apps/gateway/public ./apps/gateway/public
COPY --from=build /app/apps/web/dist ./apps/web/dist
USER node
EXPOSE 3000 8080
# `exec` replaces the shell so node is PID 1 and receives SIGTERM directly.
CMD ["sh", "-c", "exec node dist/apps/${SERVICE}/src/main.js"]
