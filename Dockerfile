# Images for the gateway and the operator, from one build:
#   docker build --target gateway  -t tas-mcp/gateway:dev .
#   docker build --target operator -t tas-mcp/operator:dev .
# (Not built in this project's CI: its machines have no Docker engine.)

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY proto ./proto
COPY src ./src
COPY gateway ./gateway
COPY operator ./operator
COPY test ./test
RUN npx tsc -p tsconfig.json && npm prune --omit=dev

FROM gcr.io/distroless/nodejs20-debian12:nonroot AS runtime
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/proto ./proto
COPY --from=build /app/dist ./dist
USER 65532:65532

FROM runtime AS operator
COPY crds ./crds
ENTRYPOINT ["/nodejs/bin/node", "dist/operator/main.js"]

FROM runtime AS gateway
EXPOSE 8080 50051 8082
ENTRYPOINT ["/nodejs/bin/node", "dist/gateway/main.js"]
