# syntax=docker/dockerfile:1
#
# One build, three runnable targets that share every layer but the last:
#   docker build --target api .      the HTTP API (the default target)
#   docker build --target worker .   the BullMQ worker (metrics on 9100)
#   docker build --target migrate .  applies prisma/migrations and exits
# docker-compose.yml builds all three. See docs/operations.md, "Containers".
#
# The runtime images hold compiled JavaScript (scripts/build.ts), the production
# dependencies and nothing else: no TypeScript, no tsx, no pnpm, no Prisma CLI.

# Node 20, as engines/.npmrc require. Overridable for a newer line:
#   docker build --build-arg NODE_IMAGE=node:22-bookworm-slim .
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS pnpm
# The version package.json's "packageManager" names.
RUN npm install --global pnpm@12.4.2 && npm cache clean --force
WORKDIR /app

# ---- build: all dependencies, Prisma client generation, esbuild ----
FROM pnpm AS build
# `pnpm fetch` needs only the lockfile, so this layer (the slow one) survives
# edits to package.json scripts and to the source.
COPY pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
RUN --mount=type=cache,id=pnpm-store,target=/pnpm-store \
    pnpm fetch --store-dir=/pnpm-store
COPY . .
# Runs the root postinstall, `pnpm generate` (scripts/prisma.ts): it needs no
# download from Prisma's servers. (Its build for `pnpm start` is replaced by the
# portable `pnpm build` below.) Dependency install scripts stay off as
# pnpm-workspace.yaml's allowBuilds says (Prisma's would download engines).
RUN --mount=type=cache,id=pnpm-store,target=/pnpm-store \
    pnpm install --frozen-lockfile --prefer-offline --store-dir=/pnpm-store
RUN pnpm build
# Only what the production install reads, so that stage is not tied to the source.
RUN mkdir /manifests \
 && cp --parents package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc \
      apps/*/package.json packages/*/package.json /manifests/

# ---- prod-deps: the packages the bundles import, from the same lockfile ----
FROM pnpm AS prod-deps
COPY --from=build /manifests/ ./
# --prod: no devDependencies. --no-optional: the lockfile resolves
# @prisma/client's optional peers (prisma, typescript) from the workspace root,
# which would put the Prisma CLI (~230 MB with its dependencies) in the image;
# msgpackr-extract is optional too (BullMQ falls back to JavaScript).
# node-linker=hoisted: one flat /app/node_modules, which Node finds from
# /app/dist/**; the bundles name only packages their workspace package
# declares in "dependencies" (scripts/build.ts checks). test/build.test.ts
# runs this very command and then the built processes.
RUN --mount=type=cache,id=pnpm-store,target=/pnpm-store \
    pnpm install --prod --frozen-lockfile --ignore-scripts --no-optional --config.node-linker=hoisted --prefer-offline --store-dir=/pnpm-store

# ---- runtime: node, production node_modules, compiled JavaScript ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-semi-space-size=8"
ENV GLIBC_TUNABLES=glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=131072
WORKDIR /app
# Owned by root and not writable by the service user: the process cannot alter its own code.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The `node` user (uid 1000) of the official image.
USER node

FROM runtime AS migrate
CMD ["node", "dist/packages/db/src/migrate-cli.js"]

FROM runtime AS worker
EXPOSE 9100
# Healthy while its metrics server answers (/health/live; it serves /metrics too).
# A 10 s timeout: the check starts a node process in the container, which took
# up to 5 s on a busy 2-core host under podman (3 s failed there).
HEALTHCHECK --interval=10s --timeout=10s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.WORKER_METRICS_PORT || 9100) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--heap-growing-percent=50", "dist/apps/worker/src/server.js"]

# Last, so a plain `docker build .` produces the API.
FROM runtime AS api
EXPOSE 8080
# Healthy when MySQL and Redis answer (/health/ready); the slim image has no curl.
# The timeout as the worker's, and for the same reason.
HEALTHCHECK --interval=10s --timeout=10s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--heap-growing-percent=50", "dist/apps/api/src/server.js"]
