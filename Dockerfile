# syntax=docker/dockerfile:1
# Two images from one build:
#   docker build -t availability-router .                          # the router (default)
#   docker build --target simulator -t zendesk-sim .               # the Zendesk simulator
# The simulator never goes into the router image. The router needs a Zendesk account there
# (ZENDESK_SUBDOMAIN, credentials, ZENDESK_WEBHOOK_SECRET); `npm start` is for the embedded demo.

FROM node:20.20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
# better-sqlite3 compiles against this Node here (python3, make and g++ are in this image).
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
COPY bench ./bench
RUN npx nest build router && npm prune --omit=dev

FROM node:20.20-bookworm-slim AS simulator
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4010
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist/apps/zendesk-sim ./dist/apps/zendesk-sim
COPY --chown=node:node package.json ./
USER node
EXPOSE 4010
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/sim/state').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/apps/zendesk-sim/src/main.js"]

FROM node:20.20-bookworm-slim AS router
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/data RULES_DIR=/app/rules
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist/apps/router ./dist/apps/router
COPY --from=build --chown=node:node /app/dist/libs ./dist/libs
COPY --chown=node:node package.json ./
COPY --chown=node:node rules ./rules
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/apps/router/src/main.js"]
