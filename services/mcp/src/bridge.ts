import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { isJSONRPCRequest, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/**
 * The stdio MCP server a Claude Code config starts (`mission-mcp`): it relays every message between
 * stdin/stdout and Mission's Streamable HTTP endpoint, so the tools are the API process's own.
 */
export async function runStdioBridge(missionUrl: string, token: string | undefined): Promise<void> {
  const endpoint = new URL('/mcp', missionUrl);
  const upstream = new StreamableHTTPClientTransport(endpoint, token ? { requestInit: { headers: { authorization: `Bearer ${token}` } } } : undefined);
  const local = new StdioServerTransport();

  local.onmessage = (message: JSONRPCMessage) => {
    upstream.send(message).catch((error: unknown) => {
      if (!isJSONRPCRequest(message)) return;
      const reason = error instanceof Error ? error.message : String(error);
      void local.send({
        jsonrpc: '2.0',
        id: message.id,
        error: { code: -32000, message: `Mission at ${missionUrl} failed the request (${reason}). Is it running (npm start)? Are MISSION_URL and MISSION_TOKEN right?` },
      });
    });
  };
  upstream.onmessage = (message) => void local.send(message);
  upstream.onerror = (error) => process.stderr.write(`mission-mcp: ${error.message}\n`);
  local.onclose = () => void upstream.close();

  await upstream.start();
  await local.start();
}
