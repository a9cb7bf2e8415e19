"""The model brain: a Chat Completions endpoint decides the runs no rule matches.

`settings` reads the brain document's `model` section, `request` and `answer`
translate between a run and Chat Completions, `client` talks to the endpoint
(never through httpx, so recordings never hold its traffic), and `script`
drives a run an answer at a time.
"""
