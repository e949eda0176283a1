import type { IncomingHttpHeaders } from 'node:http';
import { isJsonContentType } from '@modelcontextprotocol/sdk/shared/mediaType.js';
import { type JSONRPCRequest, JSONRPCRequestSchema, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';

/**
 * The request of a POST to an open MCP session that can be answered as one `application/json` response
 * instead of an event stream (the spec lets a server answer any POST either way): a single JSON-RPC request
 * that will send nothing before its answer and answers at once. Its only notifications would be progress,
 * which a request gets only when it carries a `progressToken`; a tool call answers at once when its tool is
 * one of `immediateTools` (a call that waits streams, so the POST of a client relaying in order is accepted
 * at once); `initialize` opens the session and stays with the SDK's transport.
 *
 * Undefined for every other POST, and for one the SDK's transport would refuse (Accept without both media
 * types, a body that is not JSON, an unsupported `MCP-Protocol-Version`, a malformed message): those go to
 * the SDK's transport, which refuses them as it always has.
 */
export function jsonAnswerableRequest(
  body: unknown,
  headers: IncomingHttpHeaders,
  immediateTools: ReadonlySet<string>,
): JSONRPCRequest | undefined {
  const accept = headers.accept;
  if (typeof accept !== 'string' || !accept.includes('application/json') || !accept.includes('text/event-stream')) return undefined;
  if (!isJsonContentType(headers['content-type'])) return undefined;
  const version = headers['mcp-protocol-version'];
  if (version !== undefined && (typeof version !== 'string' || !SUPPORTED_PROTOCOL_VERSIONS.includes(version))) return undefined;
  if (Array.isArray(body)) return undefined;
  const parsed = JSONRPCRequestSchema.safeParse(body);
  if (!parsed.success || parsed.data.method === 'initialize') return undefined;
  const request = parsed.data;
  if (request.params?._meta?.progressToken !== undefined) return undefined;
  if (request.method === 'tools/call' && !immediateTools.has(String(request.params?.name))) return undefined;
  return request;
}
