import { InvalidRequestError } from '../errors.js';

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

// Anthropic's structured outputs (`output_config.format: {"type":"json_schema","schema":…}`, the
// Anthropic SDK's `messages.parse` with `zodOutputFormat`) as the chat body's `response_format`, so the
// Messages API gets the same validation as chat completions. Undefined when no format is asked for.
export function responseFormatOfOutputConfig(outputConfig: unknown): Record<string, unknown> | undefined {
  if (outputConfig === undefined || outputConfig === null) return undefined;
  if (!isObject(outputConfig)) throw new InvalidRequestError('output_config', `Invalid value for 'output_config': expected an object, got ${JSON.stringify(outputConfig)}`);
  const format = outputConfig.format;
  if (format === undefined || format === null) return undefined;
  if (!isObject(format) || format.type !== 'json_schema') {
    throw new InvalidRequestError('output_config.format.type', `Invalid value for 'output_config.format.type': expected "json_schema", got ${JSON.stringify(isObject(format) ? format.type : format)}`);
  }
  if (!isObject(format.schema)) {
    throw new InvalidRequestError('output_config.format.schema', `Invalid value for 'output_config.format.schema': expected a JSON Schema object, got ${JSON.stringify(format.schema)}`);
  }
  return { type: 'json_schema', json_schema: { name: 'output', schema: format.schema } };
}
