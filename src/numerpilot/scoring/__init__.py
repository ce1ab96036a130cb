"""Pure scoring functions: Numerai's metrics per era, summaries, reports."""
