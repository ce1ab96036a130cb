"""The only code that talks to Numerai: wraps numerapi with typed results and errors."""
