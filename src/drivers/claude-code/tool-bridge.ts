import { NO_RESULT, type McpTool, type McpToolResult } from './client-tools.js';

type Json = Record<string, any>;

/** A `tools/call` the CLI sent and lifeguard has not answered yet: the CLI waits, silent, meanwhile. */
interface ParkedCall {
  requestId: string;
  jsonrpcId: unknown;
  server: string;
}

export interface ToolBridgeIo {
  /** Writes one line to the CLI's stdin. */
  write(message: object): void;
  /** Sends a control request; `onResponse` gets the CLI's control response. */
  control(request: Json, onResponse: (response: Json) => void): void;
  warn(message: string): void;
}

/** How long the CLI may take to list a newly declared server's tools before the turn goes ahead anyway. */
const LIST_WAIT_MS = 15_000;

// The client's tools served to one Claude Code process as an in-process ("sdk") MCP server over the
// CLI's control protocol (docs/http-api.md#client-tools-with-claude-code, docs/protocol.md): lifeguard
// is the MCP server. A tool set gets a server of its own, `lg_<n>`, declared with mcp_set_servers; a
// changed set gets the next name (the CLI 2.1.112 keeps a stale tool list for a reused name), an empty
// set removes it. Every
// `initialize` is answered (the handshake can come twice); a `tools/call` is parked under the
// model's tool_use id until the client's result answers it.
export function createToolBridge(io: ToolBridgeIo) {
  let generation = 0;
  let current: { name: string; digest: string; tools: McpTool[] } | null = null;
  /** Every server declared in this process, by its name (never reused). */
  const servers = new Map<string, McpTool[]>();
  const parked = new Map<string, ParkedCall>();
  /** Results that came before the CLI asked for them (calls the CLI makes one after another). */
  const early = new Map<string, McpToolResult>();
  /** tool_use ids whose calls are to be refused when they come (their turn was abandoned). */
  const refused = new Set<string>();
  let listed: { server: string; resolve: () => void } | null = null;

  const respond = (requestId: string, response: Json) => io.write({ type: 'control_response', response: { subtype: 'success', request_id: requestId, response } });
  const reply = (call: ParkedCall, result: McpToolResult) => respond(call.requestId, { mcp_response: { jsonrpc: '2.0', id: call.jsonrpcId, result } });

  const mcpMessage = (requestId: string, server: string, message: Json) => {
    const method = String(message.method ?? '');
    const id = message.id;
    const result = (value: Json) => respond(requestId, { mcp_response: { jsonrpc: '2.0', id, result: value } });
    const tools = servers.get(server);
    if (method.startsWith('notifications/')) {
      if (method === 'notifications/cancelled') {
        for (const [toolUseId, call] of parked) if (call.server === server && call.jsonrpcId === message.params?.requestId) parked.delete(toolUseId);
      }
      return respond(requestId, { mcp_response: { jsonrpc: '2.0', result: {}, id: 0 } });
    }
    if (!tools) return respond(requestId, { mcp_response: { jsonrpc: '2.0', id, error: { code: -32602, message: `lifeguard serves no MCP server named ${server}` } } });
    switch (method) {
      case 'initialize':
        return result({ protocolVersion: message.params?.protocolVersion ?? '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: server, version: '1' } });
      case 'tools/list':
        result({ tools });
        if (listed?.server === server) listed.resolve();
        return;
      case 'tools/call': {
        const toolUseId = String(message.params?._meta?.['claudecode/toolUseId'] ?? '');
        const call = { requestId, jsonrpcId: id, server };
        const ready = early.get(toolUseId);
        if (ready) {
          early.delete(toolUseId);
          return reply(call, ready);
        }
        if (!toolUseId || refused.delete(toolUseId)) return reply(call, { content: [{ type: 'text', text: 'The tool call was abandoned: the client did not continue it.' }], isError: true });
        parked.set(toolUseId, call);
        return;
      }
      case 'ping':
        return result({});
      default:
        return respond(requestId, { mcp_response: { jsonrpc: '2.0', id, error: { code: -32601, message: `lifeguard's MCP server has no method ${method}` } } });
    }
  };

  return {
    /** The names of the client tools the model may call now. */
    toolNames(): ReadonlySet<string> {
      return new Set(current?.tools.map((tool) => tool.name) ?? []);
    },
    /** A tool set was served in this process (the CLI 2.1.112 cannot take one back, see serve). */
    hasServed: () => generation > 0,
    /** True when this tool set is already the one served (nothing to declare). */
    serves(digest: string): boolean {
      return (current?.digest ?? '') === digest;
    },
    /** Declares the tool set as a fresh server (or removes the server for none); resolves once the
     * CLI has listed its tools, so the next user line's API call carries them. */
    serve(tools: McpTool[], digest: string): Promise<void> {
      if ((current?.digest ?? '') === digest) return Promise.resolve();
      const name = tools.length ? `lg_${++generation}` : null;
      current = name ? { name, digest, tools } : null;
      if (name) servers.set(name, tools);
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          io.warn(`Claude Code did not list the tools of MCP server ${name} within ${LIST_WAIT_MS} ms; the turn goes ahead`);
          done();
        }, LIST_WAIT_MS);
        const done = () => {
          clearTimeout(timer);
          if (listed?.server === name) listed = null;
          resolve();
        };
        if (name) listed = { server: name, resolve: done };
        io.control({ subtype: 'mcp_set_servers', servers: name ? { [name]: { type: 'sdk', name } } : {} }, (response) => {
          const errors = response.response?.errors as Record<string, string> | undefined;
          if (response.subtype !== 'success' || (errors && Object.keys(errors).length)) {
            io.warn(`Claude Code refused mcp_set_servers: ${JSON.stringify(response).slice(0, 300)}`);
            return done();
          }
          if (!name) done();
        });
      });
    },
    /** A control request from the CLI this bridge answers; false when it is not one of its. */
    handle(message: Json): boolean {
      const request = (message.request ?? {}) as Json;
      const requestId = String(message.request_id);
      if (request.subtype === 'mcp_message') {
        mcpMessage(requestId, String(request.server_name), (request.message ?? {}) as Json);
        return true;
      }
      if (request.subtype === 'can_use_tool') {
        const name = String(request.tool_name);
        const allowed = servers.size > 0 && current?.tools.some((tool) => tool.name === name);
        respond(
          requestId,
          allowed
            ? { behavior: 'allow', updatedInput: request.input ?? {} }
            : { behavior: 'deny', message: `lifeguard lets the model call only the client's tools; ${name} is not one of them` },
        );
        return true;
      }
      return false;
    },
    /** The client's result for a call: answers it now, or when the CLI asks for it. */
    answer(toolUseId: string, result: McpToolResult): void {
      const call = parked.get(toolUseId);
      if (!call) {
        early.set(toolUseId, result);
        return;
      }
      parked.delete(toolUseId);
      reply(call, result);
    },
    /** Calls that will get no result: refused now (parked ones) or when they come. */
    abandon(toolUseIds: Iterable<string>): void {
      for (const id of toolUseIds) {
        early.delete(id);
        const call = parked.get(id);
        if (call) {
          parked.delete(id);
          reply(call, { content: [{ type: 'text', text: NO_RESULT }], isError: true });
        } else {
          refused.add(id);
        }
      }
    },
    parkedCount: () => parked.size,
  };
}

export type ToolBridge = ReturnType<typeof createToolBridge>;
