"""Write services of the channels app (keyword-only, acting user first, atomic)."""
