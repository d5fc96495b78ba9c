# lifeguard with llama.cpp's llama-server as its worker (--driver openai-http).
#   docker build -t lifeguard .
#   docker build -t lifeguard-llama -f deploy/docker/llama-server.Dockerfile .
#   docker run --stop-timeout 40 -p 8204:8204 -v "$PWD/models:/models:ro" -e LIFEGUARD_API_KEY lifeguard-llama
# The model server's image is the base (its binaries and shared libraries stay where they were built
# for); Node.js, tini and lifeguard are copied in. The same shape works for vLLM
# (FROM vllm/vllm-openai, CMD … -- vllm serve MODEL --host 127.0.0.1 --port {port}).
ARG LIFEGUARD_IMAGE=lifeguard:latest
ARG MODEL_SERVER_IMAGE=ghcr.io/ggml-org/llama.cpp:server
FROM ${LIFEGUARD_IMAGE} AS lifeguard

FROM ${MODEL_SERVER_IMAGE}
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
COPY --from=lifeguard /usr/local/bin/node /usr/local/bin/node
COPY --from=lifeguard /app /opt/lifeguard
WORKDIR /opt/lifeguard
ENV NODE_ENV=production PATH=/app:$PATH
RUN useradd --uid 1000 --create-home lifeguard 2>/dev/null || true
USER 1000
EXPOSE 8204
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=10m --retries=3 \
  CMD ["node", "dist/src/cli/healthcheck.js"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--single-threaded-gc", "dist/src/main.js", "--host", "0.0.0.0"]
# The model server binds loopback on the port lifeguard picks; lifeguard alone faces the network.
CMD ["--driver", "openai-http", "--", "llama-server", "-m", "/models/model.gguf", "--host", "127.0.0.1", "--port", "{port}"]
