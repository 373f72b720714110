"""End-to-end tests: real otelpy processes, real SDK clients (Python, Node.js), curl."""
