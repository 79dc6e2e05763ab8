# Images of the dog-breed bot. Targets:
#   cpu  (the default: last stage)  node:20-bookworm-slim; `node dist/main.js all` unless told `bot` or `worker`.
#   gpu  the worker on CUDA 12 + cuDNN 9 (linux/amd64 only: onnxruntime-node ships its CUDA provider for x64 only).
#   build, models, cuda-deps  intermediate stages.
#
#   docker build -t dog-breeds:cpu .
#   docker build --platform linux/amd64 --target gpu -t dog-breeds:gpu .
#
# Builds with BuildKit: `docker buildx build`, `docker build` where buildx is installed (Docker 23+), or
# DOCKER_BUILDKIT=1 with the Docker 20.10 CLI (Debian's docker.io). No `# syntax=` line: that would fetch a frontend
# image from a registry; the engine's built-in frontend reads this file. The legacy builder cannot: it has no
# `RUN --mount`, and it builds every stage before the target (the CUDA ones too) instead of only those the target uses.
# NODE_IMAGE and CUDA_IMAGE are build arguments, so the base images can be local ones (scripts/container-test.sh makes
# a Node 20 base from debootstrap and the npm registry where no registry is reachable).
# Behind a TLS-inspecting proxy, give npm the proxy's CA for the build only (a secret: it stays out of the image):
#   docker build --secret id=npm_ca,src=/etc/ssl/certs/ca-certificates.crt -t dog-breeds:cpu .
#
# The model file is never taken from the build context (.dockerignore drops *.onnx; the tests and the shared test data
# stay outside). Either mount it at run time at /app/models/<file> (docker-compose.yml bind-mounts ./models), or fetch
# it at build time from its manifest's source or a URL you give, sha256-checked by `dog-breeds model pull`:
#   --build-arg MODEL_ID=mobilenetv2-imagenet                                  (the manifest's own source)
#   --build-arg MODEL_ID=xception-dogs --build-arg MODEL_URL=https://…/xception-dogs.onnx \
#   --build-arg GATE_MODEL_ID=mobilenetv2-imagenet                             (the not-a-dog gate it needs)
#   --build-arg DETECTOR_ID=yolox-nano-coco                                    (the dog detector, DETECTOR's default)
# Settings come from the environment at run time (see .env.example); the ops endpoint (/healthz, /readyz, /metrics)
# listens on 0.0.0.0:${OPS_PORT} in these images, and HEALTHCHECK asks /healthz on it: keep OPS_PORT a fixed port.

ARG NODE_IMAGE=node:20-bookworm-slim
# CUDA 12.x runtime with cuDNN 9 (the "-cudnn-" tags of CUDA ≥ 12.4 carry cuDNN 9), which onnxruntime's CUDA 12
# provider needs: libcudart 12, cuBLAS(Lt) 12, cuFFT, cuRAND and libcudnn 9.
ARG CUDA_IMAGE=nvidia/cuda:12.6.3-cudnn-runtime-ubuntu22.04

# --- build: compile TypeScript, keep production dependencies only ---------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# onnxruntime-node's install step would download CUDA binaries: off for the shared build (the gpu target asks for them
# on purpose in cuda-deps).
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc ./
# Dependencies first, for layer caching; --ignore-scripts (.npmrc's too) keeps the project's own `prepare` (a build,
# which needs src) from running here, and `npm rebuild --ignore-scripts=false` then runs the dependencies' install
# scripts (sharp, msgpackr-extract, …).
RUN --mount=type=cache,target=/root/.npm --mount=type=secret,id=npm_ca \
    if [ -f /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; fi; \
    npm ci --ignore-scripts --no-audit --no-fund && npm rebuild --ignore-scripts=false
COPY tsconfig.json tsconfig.build.json ./
# `npm run build` is tsc and then this script (tsc copies no .ftl translations into dist/).
COPY scripts/copy-locales.mjs ./scripts/
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund
# onnxruntime-node ships its binaries for every platform (~250 MB of darwin, win32 and the other Linux architecture):
# keep only this one's.
RUN set -eu; cd node_modules/onnxruntime-node/bin; \
    for dir in napi-v*/*/*; do \
      case "$dir" in */linux/"$(node -p process.arch)") ;; *) rm -rf "$dir" ;; esac; \
    done; \
    ls -d napi-v*/linux/"$(node -p process.arch)"

# --- models: the manifests, and the model files only when asked for at build time -----------------------------------
FROM build AS models
COPY models/*.json ./models/
# MODEL_ID: manifest id to fetch (its manifest's source, or MODEL_URL). GATE_MODEL_ID, DETECTOR_ID: more, from their
# sources. Empty (the default): no model in the image; mount it at run time.
ARG MODEL_ID=
ARG MODEL_URL=
ARG GATE_MODEL_ID=
ARG DETECTOR_ID=
RUN set -eu; \
    if [ -n "$MODEL_URL" ] && [ -z "$MODEL_ID" ]; then \
      echo "MODEL_URL needs MODEL_ID (the manifest the file belongs to)" >&2; exit 1; \
    fi; \
    if [ -n "$MODEL_URL" ]; then node dist/cli/main.js model pull "$MODEL_ID" --from "$MODEL_URL"; \
    elif [ -n "$MODEL_ID" ]; then node dist/cli/main.js model pull "$MODEL_ID"; fi; \
    if [ -n "$GATE_MODEL_ID" ]; then node dist/cli/main.js model pull "$GATE_MODEL_ID"; fi; \
    if [ -n "$DETECTOR_ID" ]; then node dist/cli/main.js model pull "$DETECTOR_ID"; fi

# --- cuda-deps: onnxruntime-node's CUDA execution provider ------------------------------------------------------------
# Its libraries are too large for the npm registry: the package's own install script fetches them (from NuGet) into
# node_modules/onnxruntime-node/bin/napi-v6/linux/x64/ when ONNXRUNTIME_NODE_INSTALL=cuda12 (its documented flag).
# The test -f makes a silent miss (e.g. an arm64 build) fail the build instead of shipping a CPU-only "gpu" image.
FROM build AS cuda-deps
RUN ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js \
    && test -f node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so \
    && test -f node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_shared.so

# --- gpu: the worker on CUDA ------------------------------------------------------------------------------------------
FROM ${CUDA_IMAGE} AS gpu
LABEL org.opencontainers.image.title="dog-breeds (gpu worker)" \
      org.opencontainers.image.description="Telegram dog-breed bot: worker on CUDA 12 + cuDNN 9"
# Node 20 is the official build copied from the node image (built for glibc 2.28, runs on Ubuntu 22.04); only `node`
# is needed at run time. uid/gid 1000 "node", as in the node image, so mounted files behave the same in both targets.
COPY --from=build /usr/local/bin/node /usr/local/bin/node
RUN groupadd --gid 1000 node \
    && useradd --uid 1000 --gid node --create-home --shell /usr/sbin/nologin node
# ffmpeg and ffprobe: the worker reads videos, GIFs and round video notes through them (src/vision/video); without them
# it answers those with a kind note and says why once at start. The distribution's build (Ubuntu's here), without
# recommends; the downloaded packages and apt lists are dropped so the layer keeps only the programs. A large layer
# (Debian's: ~480 MB, 200 packages: the codecs, and the SDL, Mesa and LLVM of ffplay, which the package brings and no
# lighter Debian package leaves out). Ubuntu 22.04's ffmpeg is 4.4, older than Debian's 5.1 in the cpu image: the
# reader may use only options 4.4 knows (`-vsync`, not 5.1's `-fps_mode`).
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg \
    && apt-get clean && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
    DEVICE=cuda \
    OPS_HOST=0.0.0.0 \
    OPS_PORT=9090
COPY --from=cuda-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./
COPY --from=models /app/models ./models
USER node
EXPOSE 9090
# No curl in the image: Node's fetch asks /healthz. CUDA and cuDNN initialisation make the first start slow.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.OPS_PORT||9090)+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/main.js", "worker"]

# --- cpu: bot, worker or both on the CPU (the default target, so it stays last) ------------------------------------
FROM ${NODE_IMAGE} AS cpu
LABEL org.opencontainers.image.title="dog-breeds" \
      org.opencontainers.image.description="Telegram dog-breed bot: bot and/or worker on the CPU"
WORKDIR /app
# DEVICE=cpu: the CUDA provider is not in this image, so don't try it (and log a fallback) at every start.
ENV NODE_ENV=production \
    DEVICE=cpu \
    OPS_HOST=0.0.0.0 \
    OPS_PORT=9090
# ffmpeg and ffprobe for videos, as in the gpu image: Debian's build (bookworm: 5.1), without recommends, apt cleaned.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg \
    && apt-get clean && rm -rf /var/lib/apt/lists/*
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./
COPY --from=models /app/models ./models
# The node image's own non-root user (uid 1000). The app only reads /app; it writes nothing to disk.
USER node
EXPOSE 9090
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.OPS_PORT||9090)+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/main.js", "all"]
