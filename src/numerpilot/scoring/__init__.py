"""Pure scoring functions: Numerai's metrics per era and their summaries."""
