"""The durable job queue: one interface, an embedded database backend, a worker and a scheduler."""
