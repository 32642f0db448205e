# syntax=docker/dockerfile:1

# ---- build: compiles TypeScript and the sqlite3 native addon ----
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY commands ./commands
COPY events ./events
COPY data ./data
RUN npm run build && npm prune --omit=dev

# ---- run: no compilers, non-root, data on a volume ----
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    DATABASE_URL=sqlite:///app/data/nexus.sqlite
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /app/data && chown -R node:node /app/data
USER node
VOLUME ["/app/data"]
# Node is PID 1 here: run the container with --init (or tini) so SIGTERM/SIGINT reach it properly.
STOPSIGNAL SIGTERM
CMD ["node", "--max-semi-space-size=64", "--enable-source-maps", "dist/src/index.js"]
