"""Function calling: local tools that are commands, built-in tools, MCP, and the chain loop."""
