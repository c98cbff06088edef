"""The long-running side: one process, one config, every sheet (`sheetsync serve`).

`config` reads the TOML file, `state` is the service's SQLite database, `changes` finds which
sheets changed, `gates` holds rows for approval and budgets, `cycle` is one pass over every
sheet as a plain function of (config, state, world), `loop` runs cycles until stopped,
`history`, `notify` and `web` tell people what happened. The core never imports this package.
"""
