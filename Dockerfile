# Latchkey container image.
#
#   docker build -t latchkey .
#   docker run -d --name latchkey -p 3000:3000 -v latchkey-data:/data \
#     -e KEY_ENCRYPTION_SECRET=... -e ISSUER=https://auth.example.com latchkey
#
# NODE_ENV is production here, and in production the server refuses to start without
# KEY_ENCRYPTION_SECRET (at least 32 characters): it encrypts the signing keys at rest, and every
# instance sharing a database needs the same value. Set ISSUER to the public URL clients use: it
# is the `iss` of every token and defaults to http://localhost:PORT.
# Without DATABASE_URL the embedded database lives in the /data volume; with DATABASE_URL nothing
# of value is written there.

ARG NODE_IMAGE=node:22-bookworm-slim

# Production dependencies only. bcrypt ships prebuilt binaries, so no compiler is needed.
# --ignore-scripts: the package's prepare script builds the web console, done in the build stage.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# Compiles the TypeScript sources to dist/ (dist/server, dist/config, dist/migrations) and builds
# the web console into console/dist.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY config ./config
COPY migrations ./migrations
COPY server ./server
COPY console ./console
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    DATA_DIR=/data
WORKDIR /app
# The application files stay owned by root: the server only writes to DATA_DIR.
COPY package.json package-lock.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The web console, served at /console (CONSOLE_DIR).
COPY --from=build /app/console/dist ./console/dist
COPY bin ./bin
# Read at run time relative to the directory holding package.json (CATALOG_FILE).
COPY config/catalog.json ./config/catalog.json
# For `docker exec <container> latchkey ...`; bin/latchkey.js runs dist/ as server/ is absent.
RUN ln -s /app/bin/latchkey.js /usr/local/bin/latchkey \
 && mkdir -p /data \
 && chown node:node /data

USER node
VOLUME /data
EXPOSE 3000

# The image has no curl: node asks /healthz itself (on loopback, so HOST must leave it reachable).
# The start period gives the embedded database time to open.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# node is PID 1 and handles SIGTERM itself: it drains in-flight requests for up to
# SHUTDOWN_TIMEOUT_SECONDS (10 by default, as is `docker stop`'s grace period; raise the latter
# with --stop-timeout when raising the former).
# Heap settings as in `npm start` (see "Memory" in docs/benchmarks.md): a 512 MB cap, a young
# generation of 2 x 8 MB semi-spaces instead of 2 x 16 MB, and the heap grows to twice what
# survived the last full collection before the next one, so the process stays near its live size
# without collecting so often that requests wait on it.
CMD ["node", "--max-old-space-size=512", "--max-semi-space-size=8", "--heap-growing-percent=100", "dist/server/main.js"]
