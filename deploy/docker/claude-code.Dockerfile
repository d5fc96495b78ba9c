# lifeguard with the Claude Code CLI as its worker.
#   docker build -t lifeguard .
#   docker build -t lifeguard-claude -f deploy/docker/claude-code.Dockerfile .
#   docker run --stop-timeout 40 -p 8204:8204 -e ANTHROPIC_API_KEY -e LIFEGUARD_API_KEY lifeguard-claude
# The entrypoint (lifeguard --host 0.0.0.0) comes from the base image; CMD holds lifeguard's flags
# and, after `--`, the CLI with its pass-through options.
ARG LIFEGUARD_IMAGE=lifeguard:latest
FROM ${LIFEGUARD_IMAGE}
USER root
RUN npm install -g @anthropic-ai/claude-code@2.1.112 --no-audit --no-fund && npm cache clean --force
USER node
# The CLI keeps its state under ~/.claude: with a read-only root file system mount a volume there.
ENV LIFEGUARD_DRIVER=claude-code
CMD ["--model", "claude-sonnet-4-5", "--", "claude", "--permission-mode", "bypassPermissions"]
