#!/usr/bin/env node
// The stdio MCP server for Claude Code: `claude mcp add mission -- mission-mcp` (set MISSION_URL if Mission is not on http://127.0.0.1:7070).
import '../dist/mission-mcp.js';
