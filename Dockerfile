# segamp as a container: `docker build -t segamp .` then `docker run --rm segamp replay --help`.
# Build stage compiles the TypeScript; the runtime stage has production dependencies only and
# runs as the unprivileged `node` user. Node 26 is the current LTS (since 2026-10-28; Node 20 ended in April 2026).
# State (checkpoint, dead letters): --state-dir s3://bucket/prefix/ keeps it in S3, so a container
# restarted anywhere resumes its shard (deploy/); without it, it goes to /state (mount a volume there).

FROM node:26-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:26-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist ./dist
# The command manifest: `segamp --help` and every command start without importing all commands.
COPY --from=build /src/oclif.manifest.json ./
COPY bin ./bin
RUN mkdir -p /state && chown node:node /state
USER node
WORKDIR /state
ENTRYPOINT ["node", "/app/bin/run.js"]
CMD ["--help"]
