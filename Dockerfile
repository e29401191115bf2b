# syntax=docker/dockerfile:1
# Provenant node on Node 24 LTS.
#   Build: docker build -t provenant .
#   Run:   docker run -d --name provenant -p 4000:4000 -p 1883:1883 -v provenant-data:/data provenant
#   Demo:  docker run --rm -p 4000:4000 -p 1883:1883 provenant node src/transport/cli/provenant.mjs start --demo
# Everything the node reads at run time ships in the image: the GS1 EPCIS schemas and contexts
# (assets/), the Prisma migrations, the explorer (web/dist) and the GraphiQL bundle (node_modules).

FROM node:24-bookworm AS build
WORKDIR /app
# better-sqlite3 compiles its native addon here if no prebuilt binary can be fetched.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY prisma ./prisma
COPY prisma.config.ts tsconfig.json ./
# The explorer (web/) is built by npm ci's postinstall step, so its sources come first.
COPY web ./web
COPY src ./src
RUN npm ci --no-audit --no-fund
COPY simulators ./simulators
COPY assets ./assets
COPY schema.graphql ./
RUN node prisma/generate.mjs && npx tsc --noEmit && npm prune --omit=dev

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PROVENANT_DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=4000 \
    MQTT_HOST=0.0.0.0 \
    MQTT_PORT=1883
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/package.json /app/prisma.config.ts /app/schema.graphql ./
COPY --from=build --chown=node:node /app/prisma ./prisma
COPY --from=build --chown=node:node /app/assets ./assets
COPY --from=build --chown=node:node /app/src ./src
COPY --from=build --chown=node:node /app/web/dist ./web/dist
COPY --from=build --chown=node:node /app/simulators ./simulators
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 4000 1883
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/health').then(r => process.exit(r.ok ? 0 : 1)).catch(() => process.exit(1))"
CMD ["node", "src/transport/cli/provenant.mjs", "start"]
