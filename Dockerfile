# syntax=docker/dockerfile:1
# CPU image of the dog-breed bot (bot + worker in one process by default). The model file is never baked in from
# test data: mount it at /app/models/<file> or pass MODEL_URL at build time (see README, "Deployment").
# The GPU worker image (CUDA 12 + cuDNN 9) comes with the deployment work.

FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY models/*.json ./models/
# Optional: fetch the model at build time from its manifest's source (or an operator-supplied URL).
ARG MODEL_ID=mobilenetv2-imagenet
ARG MODEL_URL=
RUN if [ -n "$MODEL_URL" ]; then node dist/cli/main.js model pull "$MODEL_ID" --from "$MODEL_URL"; fi
USER node
CMD ["node", "dist/main.js", "all"]
