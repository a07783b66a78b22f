"""Platform adapters: each translates between one platform and Baton's neutral types, built from
settings and a clock, and talks to the core only through the sink it is handed at ``start``.
Each platform's SDK is imported only by its own modules."""
