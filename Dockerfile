# syntax=docker/dockerfile:1
#
# hotline engine image: one process serving the HTTP API, socket.io, /metrics,
# the built widget (/widget.js, /demo) and the operator console (/console/).
#
# Stages:
#   manifests - npm settings and every workspace's package.json, the start of both installs
#   deps      - `npm ci` of every workspace, dev dependencies included (vite, esbuild, vue-tsc, ...)
#   build     - `npm run build`: engine/dist (compiled JavaScript), widget/dist and operator-ui/dist
#   prod      - `npm ci --omit=dev`: only the runtime node_modules (the console's packages are all
#               devDependencies: vite bundles them into operator-ui/dist)
#   runtime   - Node 24 LTS slim, non-root, production node_modules + the compiled engine + built assets
#
# Build:  docker build -t hotline-engine:$(git rev-parse --short HEAD) .
# Run:    docker run -p 3000:3000 -e REDIS_URL=... -e DATABASE_URL=... hotline-engine:TAG

# A supported LTS line (Node 20 reached its end of life on 2026-04-30); package.json's engines is the floor.
ARG NODE_IMAGE=node:24-bookworm-slim

######################### manifests ##########################
# npm's settings and every workspace's package.json: what both installs start from, so their
# layers are cached until a dependency changes.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
ENV CI=true \
    npm_config_fund=false \
    npm_config_audit=false \
    npm_config_update_notifier=false
COPY package.json package-lock.json ./
COPY engine/package.json engine/package.json
COPY routing-rules/package.json routing-rules/package.json
COPY protocol/package.json protocol/package.json
COPY client/package.json client/package.json
COPY widget/package.json widget/package.json
COPY operator-ui/package.json operator-ui/package.json

############################ deps ############################
FROM manifests AS deps
RUN --mount=type=cache,target=/root/.npm npm ci

############################ build ###########################
FROM deps AS build
COPY . .
RUN npm run build \
 && test -f engine/dist/main.js \
 && test -f widget/dist/widget.js \
 && test -f operator-ui/dist/index.html \
 && mkdir -p widget/demo \
 && if [ ! -f routing.yaml ]; then echo '# no routing.yaml in the repository: mount one at /app/config/routing.yaml' > routing.yaml; fi

############################ prod deps #######################
FROM manifests AS prod
# --ignore-scripts: no runtime dependency needs an install script (the root
# package.json already refuses esbuild's and msgpackr-extract's).
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts \
 && npm cache clean --force

############################ runtime #########################
FROM ${NODE_IMAGE} AS runtime
# NODE_ENV=production: no demo accounts (SEED_DEMO=true or a demo ADMIN_PASSWORD stops the engine, exit 2).
# TRUST_PROXY stays 0 (X-Forwarded-For ignored) unless the deployment names its proxies.
ENV NODE_ENV=production \
    SEED_DEMO=false \
    PORT=3000 \
    HOST=0.0.0.0 \
    DATA_DIR=/app/data \
    ROUTING_CONFIG=/app/config/routing.yaml \
    npm_config_update_notifier=false
WORKDIR /app

# Production node_modules: the engine's packages and those of the rules it compiles in.
COPY --from=prod --chown=node:node /app/node_modules ./node_modules
COPY --chown=node:node package.json package-lock.json ./
# The engine, compiled to JavaScript (the workspace packages it uses are bundled in, its Lua scripts beside it).
COPY --chown=node:node engine/package.json engine/package.json
COPY --from=build --chown=node:node /app/engine/dist engine/dist
# Built static assets the engine serves, and the widget's demo page.
COPY --from=build --chown=node:node /app/widget/dist widget/dist
COPY --from=build --chown=node:node /app/widget/demo widget/demo
COPY --from=build --chown=node:node /app/operator-ui/dist operator-ui/dist
# Default routing model; in Kubernetes a ConfigMap is mounted over /app/config.
COPY --from=build --chown=node:node /app/routing.yaml config/routing.yaml

# DATA_DIR is only used by the embedded PGlite fallback (no DATABASE_URL);
# it must be writable by the non-root user.
RUN mkdir -p /app/data && chown node:node /app/data /app/config

USER node
EXPOSE 3000

# Docker-only health check (Kubernetes ignores it and uses the probes).
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# exec form: node is PID 1 and receives SIGTERM directly (graceful drain).
CMD ["node", "--enable-source-maps", "engine/dist/main.js"]
