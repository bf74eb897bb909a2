# Images for the gateway and the operator, from one build:
#   docker build --target gateway  -t tas-mcp/gateway:dev .
#   docker build --target operator -t tas-mcp/operator:dev .
# Each image carries its own compiled code (dist/src plus dist/gateway or dist/operator, from
# tsconfig.build.json), the production dependencies and what it reads at run time; no tests,
# benchmarks, harness, tools or devDependencies. test/e2e/production-build.test.ts checks this file.
# (Not built in this project's CI: its machines have no Docker engine.)

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY gateway ./gateway
COPY operator ./operator
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev --no-audit --no-fund

FROM gcr.io/distroless/nodejs20-debian12:nonroot AS runtime
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
USER 65532:65532

FROM runtime AS operator
COPY --from=build /app/dist/operator ./dist/operator
# The federation map's page (HTML and a JS module; Cytoscape.js comes with node_modules).
COPY operator/federation-map/web ./operator/federation-map/web
COPY proto ./proto
COPY crds ./crds
ENTRYPOINT ["/nodejs/bin/node", "dist/operator/main.js"]

FROM runtime AS gateway
COPY --from=build /app/dist/gateway ./dist/gateway
COPY proto ./proto
# V8 sized for a gateway (src/config/node-options.ts); the operator's Deployment replaces it
# with settings sized to the pod's limits.
ENV NODE_OPTIONS="--v8-pool-size=2"
EXPOSE 8080 50051 8082
ENTRYPOINT ["/nodejs/bin/node", "dist/gateway/main.js"]
