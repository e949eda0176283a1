# One image for every Mission service; the command picks the service.
# The workspace manifests and sources, with what native modules need to build.
FROM node:22-bookworm-slim AS sources
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ git ca-certificates tini \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY packages ./packages
COPY services ./services
COPY tests/package.json ./tests/package.json
COPY bench/package.json ./bench/package.json

FROM sources AS base
RUN npm ci --omit=dev --no-audit --no-fund
COPY src ./src
COPY tsconfig.base.json tsconfig.json ./

# The web console is built with dev dependencies (vite) that the runtime image leaves out.
FROM sources AS console
RUN npm ci --ignore-scripts --no-audit --no-fund && npm run build -w @mission/console

FROM base AS api
COPY --from=console /app/packages/console/dist ./packages/console/dist
ENV HOST=0.0.0.0 PORT=7070
EXPOSE 7070
ENTRYPOINT ["tini", "--"]
CMD ["npx", "tsx", "src/api.ts"]

FROM base AS worker
# The worker runs the real Claude Code CLI, as `mission-agent` (uid 2000): the worker itself runs as root
# only to start each claude as that user (setpriv, from util-linux), so agents cannot read its
# environment or files. /workspace is where slots work (k8s/base/config/slots.yaml).
# bubblewrap and socat: Claude Code's sandbox, for roles that turn it on.
RUN apt-get update && apt-get install -y --no-install-recommends bubblewrap socat && rm -rf /var/lib/apt/lists/* \
  && npm install -g @anthropic-ai/claude-code@2.1.331 --no-audit --no-fund \
  && groupadd --system --gid 2000 mission-agent \
  && useradd --system --uid 2000 --gid 2000 --create-home --shell /bin/bash mission-agent \
  && install -d -o mission-agent -g mission-agent /workspace
ENV MISSION_CLAUDE_BIN=claude MISSION_AGENT_USER=mission-agent
ENTRYPOINT ["tini", "--"]
CMD ["npx", "tsx", "src/worker.ts"]
