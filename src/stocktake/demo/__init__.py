"""The demo: a deterministic synthetic department with known, injected effects."""
