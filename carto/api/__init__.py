"""HTTP layer: thin FastAPI routers translating requests into calls of the domain modules."""
