# One image for every Mission service; the command picks the service.
# The build stages hold the compilers native modules need (node-pty); the runtime stages copy what they built
# and have none of them. .dockerignore keeps node_modules, .git and build output out of the context.
FROM node:22-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY packages ./packages
COPY services ./services
COPY tests/package.json ./tests/package.json
COPY bench/package.json ./bench/package.json

FROM build AS dependencies
RUN npm ci --omit=dev --no-audit --no-fund

# The web console and the `mission` CLI are built with dev dependencies (vite, esbuild) that the runtime leaves out.
FROM build AS bundles
RUN npm ci --ignore-scripts --no-audit --no-fund && npm run build -w @mission/console -w @mission/cli

# What both services run on: Node, tini and the installed workspace.
FROM node:22-bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends tini ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=dependencies /app ./
# `mission` in the container (e.g. `docker compose exec api npx mission token create …`).
COPY --from=bundles /app/packages/cli/dist ./packages/cli/dist
COPY src ./src
COPY tsconfig.base.json tsconfig.json ./
ENTRYPOINT ["tini", "--"]

FROM runtime AS api
COPY --from=bundles /app/packages/console/dist ./packages/console/dist
ENV HOST=0.0.0.0 PORT=7070
EXPOSE 7070
# The API needs no privilege: it runs as the base image's `node` user (uid 1000, as k8s/base says too).
USER node
# node itself, not npx: no npm process between tini and Mission, so SIGTERM reaches it and starts the drain.
CMD ["node", "--import", "tsx", "src/api.ts"]

FROM runtime AS worker
# The worker runs the real Claude Code CLI, as `mission-agent` (uid 2000). The worker itself runs as root, on
# purpose and only to start each claude as that user (setpriv, from util-linux), so agents cannot read its
# environment or files. /workspace is where slots work (k8s/base/config/slots.yaml); the agent's
# ~/.claude/projects (transcripts, what `claude --resume` reads) exists owned by it, so a volume mounted there
# (docker-compose.yml, k8s/components/shared-storage) starts writable by the agent.
# git: Claude Code's own tool use. bubblewrap and socat: Claude Code's sandbox, for roles that turn it on.
RUN apt-get update && apt-get install -y --no-install-recommends git bubblewrap socat && rm -rf /var/lib/apt/lists/* \
  && npm install -g @anthropic-ai/claude-code@2.1.332 --no-audit --no-fund \
  && groupadd --system --gid 2000 mission-agent \
  && useradd --system --uid 2000 --gid 2000 --create-home --shell /bin/bash mission-agent \
  && install -d -o mission-agent -g mission-agent /workspace /home/mission-agent/.claude /home/mission-agent/.claude/projects
ENV MISSION_CLAUDE_BIN=claude MISSION_AGENT_USER=mission-agent
USER root
CMD ["node", "--import", "tsx", "src/worker.ts"]
