import type { ChatMessage } from '../driver.js';

function text(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string' ? (part as { text: string }).text : ''))
      .join('');
  }
  return '';
}

// The tool calls of an assistant message, as the transcript names them.
function calls(message: ChatMessage): string[] {
  if (!Array.isArray(message.tool_calls)) return [];
  return (message.tool_calls as Array<{ id?: unknown; function?: { name?: unknown; arguments?: unknown } }>).map(
    (call) => `[called ${String(call.function?.name ?? '')}(${String(call.function?.arguments ?? '')}), call id ${String(call.id ?? '')}]`,
  );
}

const LABEL: Record<string, string> = { system: 'System', developer: 'System', user: 'User', assistant: 'Assistant', tool: 'Tool', function: 'Tool' };

// An OpenAI conversation → the text of one Claude Code turn. The CLI keeps its own history, so a
// single user message is sent as it is; anything more (system prompts, earlier turns) is folded in
// front of the last user message as a labelled transcript.
export function foldMessages(messages: ChatMessage[]): string {
  const lastUser = messages.map((m) => m.role).lastIndexOf('user');
  const last = lastUser >= 0 ? text(messages[lastUser]!.content) : '';
  const before = messages.filter((_, i) => i !== lastUser && (lastUser < 0 || i < lastUser));
  if (before.length === 0) return last;
  const transcript = before.map((m) => `${LABEL[m.role] ?? m.role}: ${[text(m.content), ...calls(m)].filter(Boolean).join(' ')}`).join('\n\n');
  return `${transcript}\n\nUser: ${last}`;
}
