# Build stage: compile TypeScript with the dev dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY machines ./machines
COPY src ./src
COPY scripts ./scripts
RUN npm run build

# Runtime stage: production dependencies only, non-root (uid 1000, "node"), tini as PID 1 so signals
# reach lifeguard and the workers' zombies are reaped.
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY workers ./workers
COPY ui ./ui
USER node
EXPOSE 8204
# SIGTERM drains: in-flight requests get drain_timeout_ms (30 s), then each worker tree gets
# stop_grace_ms (5 s). Docker's default stop timeout is 10 s, so run with `--stop-timeout 40`
# (compose: `stop_grace_period: 40s`); Kubernetes: terminationGracePeriodSeconds (deploy/kubernetes).
STOPSIGNAL SIGTERM
# The check reads lifeguard's flags from PID 1's command line, so it follows --port, LIFEGUARD_PORT
# and the config file.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "dist/src/cli/healthcheck.js"]
# `--host 0.0.0.0` is part of the entrypoint, so the arguments of `docker run IMAGE …` (flags, then
# `-- WORKER COMMAND…`) are appended to it instead of replacing it; a later `--host` still wins.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--single-threaded-gc", "dist/src/main.js", "--host", "0.0.0.0"]
CMD []
