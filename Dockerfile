# The idp server image: the worker (`idp-server worker`) and the standalone
# Platform API (`idp-server api`), one image, two commands (docker-compose.yml).
# (The workspaces include the Backstage packages, so `npm ci` needs them too.)
FROM node:24-slim
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY core core
COPY workflows workflows
COPY providers providers
COPY api api
COPY worker worker
COPY cli cli
COPY actions actions
COPY templates templates
COPY backstage-plugin backstage-plugin
RUN npm ci --no-audit --no-fund && npm run build
ENV IDP_LOG_LEVEL=INFO
ENTRYPOINT ["node", "worker/bin/idp-server.js"]
CMD ["worker"]
